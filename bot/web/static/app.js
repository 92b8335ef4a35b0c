// newsbot Mini App: Telegram's theme, and the trade of initData for a session.
// No inline script anywhere: the Content-Security-Policy allows only this file (and, in
// production, telegram-web-app.js from telegram.org).
(function () {
  "use strict";
  var tg = window.Telegram && window.Telegram.WebApp;
  var hash = new URLSearchParams(window.location.hash.slice(1));

  function applyTheme(params) {
    if (!params) { return; }
    var style = document.documentElement.style;
    Object.keys(params).forEach(function (key) {
      var value = String(params[key]);
      if (/^#[0-9a-fA-F]{3,8}$/.test(value)) {
        style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
      }
    });
  }

  function savedTheme() {
    try { return JSON.parse(window.sessionStorage.getItem("newsbot-theme") || "null"); }
    catch (e) { return null; }
  }

  var theme = tg ? tg.themeParams : null;
  if (!theme && hash.get("tgWebAppThemeParams")) {
    try { theme = JSON.parse(hash.get("tgWebAppThemeParams")); } catch (e) { theme = null; }
  }
  if (theme) {
    try { window.sessionStorage.setItem("newsbot-theme", JSON.stringify(theme)); } catch (e) { /* private mode */ }
  }
  applyTheme(theme || savedTheme());
  if (tg) {
    tg.ready();
    tg.expand();
    tg.onEvent("themeChanged", function () { applyTheme(tg.themeParams); });
  }

  var entry = document.getElementById("entry");
  if (!entry) { return; }
  var status = document.getElementById("entry-status");
  var initData = (tg && tg.initData) || hash.get("tgWebAppData");
  if (!initData && entry.dataset.resume) {
    window.location.replace(entry.dataset.resume);
    return;
  }
  if (!initData) {
    status.textContent = "Open this app from the bot in Telegram, or send /web to the bot for a link.";
    return;
  }
  var body = new URLSearchParams();
  body.set("init_data", initData);
  fetch(entry.dataset.session, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-XSRFToken": entry.dataset.xsrf },
    body: body
  }).then(function (response) {
    return response.json().then(function (answer) {
      if (response.ok && answer.next) {
        window.location.replace(answer.next);
      } else {
        status.textContent = answer.error || "Could not open the app. Please try again.";
        status.setAttribute("role", "alert");
      }
    });
  }).catch(function () {
    status.textContent = "Could not reach newsbot. Please try again.";
  });
})();
