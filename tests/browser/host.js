// The app side of the Connect UI, as Nango documents it: open the UI, then hand it the session
// token the app's backend created. Every event the UI sends is kept for the test to read.
import Nango from '/frontend/index.js';

window.connectEvents = [];

window.openConnect = ({ baseURL, apiURL, token, lang, theme }) => {
  const nango = new Nango({ host: apiURL });
  const connect = nango.openConnectUI({
    baseURL,
    apiURL,
    lang,
    themeOverride: theme,
    onEvent: (event) => window.connectEvents.push(event),
  });
  connect.setSessionToken(token);
};
