/*
 * Host configs of Teams' three themes, for the theme test: only what decides a colour (each container style's
 * background and text colours, the fact set's). Light and dark are the Adaptive Cards designer's "Microsoft Teams"
 * host configs (github.com/microsoft/AdaptiveCards, samples/HostConfig/microsoft-teams-{light,dark}.json);
 * high contrast is modelled on Teams' high-contrast theme, which follows Windows' "High Contrast Black": black
 * backgrounds, white text, yellow links, cyan selection, green for "disabled"/positive.
 */

/** One text colour: its normal and subtle shades (#RRGGBB or #AARRGGBB). */
type Shades = { default: string; subtle: string };
/** The text colours of one container style. */
type Palette = Record<'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention', Shades>;

/** A Teams theme: its name and the host config the renderer takes. */
export interface Theme {
  name: 'light' | 'dark' | 'high contrast';
  hostConfig: object;
}

const STYLES = ['default', 'emphasis', 'accent', 'good', 'attention', 'warning'] as const;

function hostConfig(backgrounds: Record<(typeof STYLES)[number], string>, palette: (style: string) => Palette): object {
  return {
    supportsInteractivity: true,
    containerStyles: Object.fromEntries(
      STYLES.map((style) => [style, { backgroundColor: backgrounds[style], foregroundColors: palette(style) }]),
    ),
    actions: { maxActions: 6 },
    factSet: {
      title: { color: 'Default', isSubtle: false, weight: 'Bolder', wrap: true },
      value: { color: 'Default', isSubtle: false, weight: 'Default', wrap: true },
      spacing: 16,
    },
  };
}

const lightText: Palette = {
  default: { default: '#ff252424', subtle: '#bf252424' },
  dark: { default: '#252424', subtle: '#bf252424' },
  light: { default: '#ffffff', subtle: '#fff3f2f1' },
  accent: { default: '#6264a7', subtle: '#8b8cc7' },
  good: { default: '#92c353', subtle: '#e592c353' },
  warning: { default: '#f8d22a', subtle: '#e5f8d22a' },
  attention: { default: '#c4314b', subtle: '#e5c4314b' },
};

const darkText: Palette = {
  default: { default: '#ffffffff', subtle: '#bfffffff' },
  dark: { default: '#ff201f1f', subtle: '#ff2d2c2c' },
  light: { default: '#ffffffff', subtle: '#bfffffff' },
  accent: { default: '#ffa6a7dc', subtle: '#ff8b8cc7' },
  good: { default: '#ff92c353', subtle: '#e592c353' },
  warning: { default: '#fff8d22a', subtle: '#e5f8d22a' },
  attention: { default: '#ffd74654', subtle: '#e5d74654' },
};

/** The dark theme's coloured containers are light: their default text is dark. */
const darkOnColour: Palette = {
  ...darkText,
  default: { default: '#ff201f1f', subtle: '#ff2d2c2c' },
};

const highContrastText: Palette = {
  default: { default: '#ffffff', subtle: '#ffffff' },
  dark: { default: '#ffffff', subtle: '#ffffff' },
  light: { default: '#ffffff', subtle: '#ffffff' },
  accent: { default: '#ffff01', subtle: '#ffff01' },
  good: { default: '#3ff23f', subtle: '#3ff23f' },
  warning: { default: '#ffff01', subtle: '#ffff01' },
  attention: { default: '#1aebff', subtle: '#1aebff' },
};

/** Teams' light, dark and high-contrast themes. */
export const TEAMS_THEMES: Theme[] = [
  {
    name: 'light',
    hostConfig: hostConfig(
      {
        default: '#ffffff',
        emphasis: '#fff9f8f7',
        accent: '#c7def9',
        good: '#ccffcc',
        attention: '#ffc5b2',
        warning: '#ffe2b2',
      },
      () => lightText,
    ),
  },
  {
    name: 'dark',
    hostConfig: hostConfig(
      {
        default: '#ff2d2c2c',
        emphasis: '#ff292828',
        accent: '#c7def9',
        good: '#ccffcc',
        attention: '#ffc5b2',
        warning: '#ffe2b2',
      },
      (style) => (style === 'default' || style === 'emphasis' ? darkText : darkOnColour),
    ),
  },
  {
    name: 'high contrast',
    hostConfig: hostConfig(
      {
        default: '#000000',
        emphasis: '#000000',
        accent: '#000000',
        good: '#000000',
        attention: '#000000',
        warning: '#000000',
      },
      () => highContrastText,
    ),
  },
];
