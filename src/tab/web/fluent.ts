// Registers only the Fluent UI Web Components the tab uses, one module each: importing the whole set would
// put every component in the bundle (the first-load budget is 150 KB gzipped).
import '@fluentui/web-components/badge.js';
import '@fluentui/web-components/button.js';
import '@fluentui/web-components/dialog.js';
import '@fluentui/web-components/dialog-body.js';
import '@fluentui/web-components/message-bar.js';
import '@fluentui/web-components/spinner.js';
import '@fluentui/web-components/tab.js';
import '@fluentui/web-components/tablist.js';
import '@fluentui/web-components/text-input.js';
import '@fluentui/web-components/textarea.js';
