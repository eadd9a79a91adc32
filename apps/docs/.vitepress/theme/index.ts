import { defineClientComponent, type Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    // The playground imports the backends: load it in the browser only, on the page that uses it.
    app.component(
      'Playground',
      defineClientComponent(() => import('./Playground.vue')),
    );
  },
} satisfies Theme;
