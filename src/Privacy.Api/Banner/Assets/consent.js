/*
 * Smultronsites consent banner, v1. No dependencies; include it with one tag:
 *   <script src="https://privacy.example.se/banner/v1/consent.js" data-key="PUBLIC_BANNER_KEY" defer></script>
 * Optional attributes: data-cookie (the cookie's name, default smc_consent_id).
 * The page then uses:
 *   consent.has('cookies.statistics')     true when that purpose may be used now
 *   consent.onChange(function (c) {...})  called with window.consent after every change (also the 'consentchange' event)
 *   consent.openSettings()                what a "cookie settings" link does; any element with data-consent-settings does it
 *   <script type="text/plain" data-consent="cookies.statistics" src="..."></script>  runs only once that purpose is granted
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.consent) {
    return;
  }

  var base = script.src.replace(/\/banner\/v1\/consent\.js(\?.*)?$/, '');
  var key = script.getAttribute('data-key') || '';
  var cookieName = script.getAttribute('data-cookie') || 'smc_consent_id';
  var cookieSeconds = 395 * 24 * 60 * 60; // 13 months: outlives a 12-month consent so it can be asked again

  var TEXT = {
    sv: {
      title: 'Vi använder kakor',
      body: 'Vissa kakor behövs för att webbplatsen ska fungera. Med ditt samtycke använder vi också kakor för att komma ihåg ' +
        'dina inställningar och för statistik. Du kan ändra eller återkalla ditt val när som helst under Cookie-inställningar.',
      changed: 'Vår integritetspolicy har ändrats sedan du valde. Gör ditt val igen.',
      expired: 'Det är ett år sedan du valde. Gör ditt val igen.',
      gpc: 'Din webbläsare skickar Global Privacy Control; det respekterar vi.',
      policy: 'Läs integritetspolicyn (version {v})',
      accept: 'Godkänn alla',
      reject: 'Avvisa alla',
      choose: 'Välj själv',
      settingsTitle: 'Cookie-inställningar',
      settingsBody: 'Välj vilka kakor vi får använda. Nödvändiga kakor är alltid på.',
      alwaysOn: 'Alltid på',
      save: 'Spara mina val',
      withdraw: 'Återkalla allt samtycke',
      close: 'Stäng',
      saved: 'Dina val är sparade.',
      withdrawn: 'Ditt samtycke är återkallat.',
      error: 'Ditt val kunde inte sparas. Försök igen.'
    },
    en: {
      title: 'We use cookies',
      body: 'Some cookies are needed for the website to work. With your consent we also use cookies to remember your ' +
        'settings and for statistics. You can change or withdraw your choice at any time under Cookie settings.',
      changed: 'Our privacy policy has changed since you chose. Please choose again.',
      expired: 'It is a year since you chose. Please choose again.',
      gpc: 'Your browser sends Global Privacy Control; we honour it.',
      policy: 'Read the privacy policy (version {v})',
      accept: 'Accept all',
      reject: 'Reject all',
      choose: 'Choose',
      settingsTitle: 'Cookie settings',
      settingsBody: 'Choose which cookies we may use. Strictly necessary cookies are always on.',
      alwaysOn: 'Always on',
      save: 'Save my choices',
      withdraw: 'Withdraw all consent',
      close: 'Close',
      saved: 'Your choices are saved.',
      withdrawn: 'Your consent is withdrawn.',
      error: 'Your choice could not be saved. Please try again.'
    }
  };

  var gpc = navigator.globalPrivacyControl === true;
  var language = pageLanguage();
  var config = null;      // GET /banner/v1/config
  var visitor = readCookie();
  var purposes = {};      // purpose -> state from the service (PurposeConsentState)
  var granted = {};       // purpose -> true when it may be used now
  var listeners = [];
  var bannerEl = null;
  var dialogEl = null;
  var returnFocus = null;
  var reason = null;      // why the banner is shown: new, changed, expired
  var currentVersion = null; // the policy version in effect, as the visitor's state last said
  var resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });

  function pageLanguage() {
    var lang = (document.documentElement.getAttribute('lang') || '').toLowerCase();
    return lang === '' || lang.indexOf('sv') === 0 ? 'sv' : 'en';
  }

  function t(name) { return TEXT[language][name]; }

  // ---- the service ----------------------------------------------------------------------------------------------------

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return hex(16);
  }

  function hex(bytes) {
    var values = new Uint8Array(bytes);
    crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /** One call; a POST carries an Idempotency-Key and is retried once with the same key if the network failed. */
  function call(method, path, body) {
    var headers = { 'X-Api-Key': key, 'Accept': 'application/json' };
    if (body) {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = uuid();
    }
    var send = function () {
      return fetch(base + path, {
        method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: 'omit', mode: 'cors'
      });
    };
    return send().catch(function () { return send(); }).then(function (response) {
      if (!response.ok) {
        throw new Error('The consent service answered ' + response.status);
      }
      return response.json();
    });
  }

  function readCookie() {
    var match = document.cookie.match(new RegExp('(?:^|; )' + cookieName + '=([A-Za-z0-9_-]{16,64})'));
    return match ? match[1] : null;
  }

  function writeCookie(id) {
    document.cookie = cookieName + '=' + id + '; Max-Age=' + cookieSeconds + '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  // ---- state ----------------------------------------------------------------------------------------------------------

  function apply(state) {
    if (state && state.currentPolicyVersion) {
      currentVersion = state.currentPolicyVersion; // fresher than the configuration, which the browser may cache for a minute
    }
    purposes = {};
    var next = {};
    (state ? state.purposes : []).forEach(function (p) {
      purposes[p.purpose] = p;
      if (p.active) {
        next[p.purpose] = true;
      }
    });
    config.purposes.forEach(function (p) {
      if (p.alwaysOn) {
        next[p.key] = true;
      }
    });
    var changed = Object.keys(next).sort().join() !== Object.keys(granted).sort().join();
    granted = next;
    activateScripts();
    if (changed) {
      listeners.forEach(function (listener) {
        try { listener(api); } catch (e) { /* a listener's failure is the page's own */ }
      });
      document.dispatchEvent(new CustomEvent('consentchange', { detail: { granted: Object.keys(granted).sort() } }));
    }
  }

  /** Why the banner must ask: a purpose never asked (new), a material policy change, or an expired consent. */
  function askReason() {
    var found = null;
    config.purposes.forEach(function (p) {
      var state = purposes[p.key];
      if (p.alwaysOn) {
        return;
      }
      if (!state || state.status === 'never_asked') {
        found = found || 'new';
      } else if (state.reconsentRequired) {
        found = 'changed';
      } else if (state.expired && found !== 'changed') {
        found = 'expired';
      }
    });
    return found;
  }

  function activateScripts() {
    var waiting = document.querySelectorAll('script[type="text/plain"][data-consent]');
    Array.prototype.forEach.call(waiting, function (placeholder) {
      if (!granted[placeholder.getAttribute('data-consent')]) {
        return;
      }
      var live = document.createElement('script');
      Array.prototype.forEach.call(placeholder.attributes, function (attribute) {
        if (attribute.name !== 'type' && attribute.name !== 'data-consent') {
          live.setAttribute(attribute.name, attribute.value);
        }
      });
      live.setAttribute('data-consent-loaded', placeholder.getAttribute('data-consent'));
      live.text = placeholder.text;
      placeholder.parentNode.replaceChild(live, placeholder);
    });
  }

  function decide(grant) {
    var id = visitor || hex(16);
    var body = {
      subject: { type: 'visitor', id: id },
      choices: config.purposes.map(function (p) {
        return { purpose: p.key, status: p.alwaysOn || grant.indexOf(p.key) >= 0 ? 'granted' : 'denied' };
      }),
      policyVersion: currentVersion || config.policyVersion,
      channel: 'banner', // the banner key records on this channel only, from the banner and its settings dialog alike
      notice: { id: 'banner-v1-' + language, text: noticeText() },
      language: language,
      gpc: gpc
    };
    return call('POST', '/consent/decisions', body).then(function (recorded) {
      visitor = id;
      writeCookie(id);
      apply(recorded.state);
      return recorded;
    });
  }

  /** Withdraws what the banner asked for (not, say, a newsletter consent given elsewhere). */
  function withdrawAll() {
    var asked = config.purposes.filter(function (p) { return !p.alwaysOn; }).map(function (p) { return p.key; });
    return call('POST', '/consent/subjects/visitor/' + visitor + '/withdrawals',
      { purposes: asked, channel: 'banner', language: language }).then(function (recorded) {
      apply(recorded.state);
      return recorded;
    });
  }

  /** The exact text the person was shown, recorded (as its SHA-256) with the decision as proof of what they agreed to. */
  function noticeText() {
    return [t('title'), t('body')].concat(config.purposes.map(function (p) {
      return p.name + ': ' + p.description;
    })).concat([t('policy').replace('{v}', config.policyVersion) + ' ' + config.policyUrl]).join('\n');
  }

  // ---- the banner and the settings dialog ------------------------------------------------------------------------------

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === 'text') {
        node.textContent = attributes[name];
      } else if (name.indexOf('on') === 0) {
        node.addEventListener(name.slice(2), attributes[name]);
      } else {
        node.setAttribute(name, attributes[name]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function button(label, action, name) {
    return element('button', { type: 'button', 'class': 'smc-button', 'data-action': name, text: label, onclick: action });
  }

  function policyLink() {
    return element('a', { href: config.policyUrl, target: '_blank', rel: 'noopener', 'class': 'smc-link',
      text: t('policy').replace('{v}', config.policyVersion) });
  }

  function status(node, message, isError) {
    node.textContent = message;
    node.className = 'smc-status' + (isError ? ' smc-error' : '');
  }

  function showBanner() {
    hideBanner();
    var notice = element('p', { 'class': 'smc-status', role: 'alert' });
    var act = function (grant) {
      return function () {
        decide(grant).then(hideBanner, function () { status(notice, t('error'), true); });
      };
    };
    var allKeys = config.purposes.map(function (p) { return p.key; });
    bannerEl = element('div', {
      'class': 'smc-banner', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'smc-banner-title',
      'aria-describedby': 'smc-banner-body', lang: language, 'data-reason': reason || 'new'
    }, [
      element('h2', { id: 'smc-banner-title', 'class': 'smc-title', text: t('title') }),
      reason === 'changed' || reason === 'expired' ? element('p', { 'class': 'smc-reason', text: t(reason) }) : null,
      element('p', { id: 'smc-banner-body', 'class': 'smc-body', text: t('body') }),
      element('ul', { 'class': 'smc-purposes' }, config.purposes.map(function (p) {
        return element('li', {}, [element('strong', { text: p.name }), document.createTextNode(' – ' + p.description)]);
      })),
      gpc ? element('p', { 'class': 'smc-gpc', text: t('gpc') }) : null,
      element('p', {}, [policyLink()]),
      element('div', { 'class': 'smc-actions' }, [
        button(t('accept'), act(allKeys), 'accept-all'),
        button(t('reject'), act([]), 'reject-all'),
        button(t('choose'), function () { openSettings(bannerEl.querySelector('[data-action="choose"]')); }, 'choose')
      ]),
      notice
    ]);
    document.body.appendChild(bannerEl);
    bannerEl.querySelector('button').focus();
  }

  function hideBanner() {
    if (bannerEl) {
      bannerEl.parentNode.removeChild(bannerEl);
      bannerEl = null;
    }
  }

  function openSettings(from) {
    closeSettings(false);
    returnFocus = from || document.activeElement;
    var notice = element('p', { 'class': 'smc-status', role: 'status' });
    var boxes = config.purposes.map(function (p) {
      var blockedByGpc = gpc && p.limitedByGpc;
      var input = element('input', { type: 'checkbox', id: 'smc-purpose-' + p.key.replace(/\W/g, '-'), name: p.key });
      input.checked = p.alwaysOn || (!!granted[p.key] && !blockedByGpc);
      input.disabled = p.alwaysOn || blockedByGpc;
      return element('div', { 'class': 'smc-choice' }, [
        input,
        element('label', { 'for': input.id }, [
          element('strong', { text: p.name }),
          document.createTextNode(p.alwaysOn ? ' (' + t('alwaysOn') + ')' : ''),
          element('span', { 'class': 'smc-description', text: p.description })
        ])
      ]);
    });
    var chosen = function () {
      return boxes.map(function (box) { return box.querySelector('input'); })
        .filter(function (input) { return input.checked; }).map(function (input) { return input.name; });
    };
    var save = function (grant) {
      return function () {
        decide(grant).then(function () {
          hideBanner();
          closeSettings(true);
        }, function () { status(notice, t('error'), true); });
      };
    };
    var hasConsent = visitor && Object.keys(purposes).some(function (k) { return purposes[k].status === 'granted' && !purposes[k].alwaysOn; });
    dialogEl = element('div', { 'class': 'smc-backdrop' }, [
      element('div', {
        'class': 'smc-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'smc-settings-title', lang: language,
        onkeydown: trapFocus
      }, [
        element('h2', { id: 'smc-settings-title', 'class': 'smc-title', text: t('settingsTitle') }),
        element('p', { 'class': 'smc-body', text: t('settingsBody') }),
        gpc ? element('p', { 'class': 'smc-gpc', text: t('gpc') }) : null,
        element('fieldset', { 'class': 'smc-fieldset' }, [element('legend', { 'class': 'smc-hidden', text: t('settingsTitle') })].concat(boxes)),
        element('p', {}, [policyLink()]),
        element('div', { 'class': 'smc-actions' }, [
          button(t('save'), function () { save(chosen())(); }, 'save'),
          button(t('accept'), save(config.purposes.map(function (p) { return p.key; })), 'accept-all'),
          button(t('reject'), save([]), 'reject-all'),
          hasConsent ? button(t('withdraw'), function () {
            withdrawAll().then(function () { status(notice, t('withdrawn')); closeSettings(true); },
              function () { status(notice, t('error'), true); });
          }, 'withdraw') : null,
          button(t('close'), function () { closeSettings(true); }, 'close')
        ]),
        notice
      ])
    ]);
    document.body.appendChild(dialogEl);
    dialogEl.querySelector('input:not([disabled]), button').focus();
  }

  function closeSettings(restoreFocus) {
    if (!dialogEl) {
      return;
    }
    dialogEl.parentNode.removeChild(dialogEl);
    dialogEl = null;
    var target = bannerEl && bannerEl.contains(returnFocus) ? returnFocus : bannerEl ? bannerEl.querySelector('button') : returnFocus;
    if (restoreFocus && target && document.contains(target)) {
      target.focus();
    }
  }

  /** Tab stays inside the open dialog; Escape closes it. */
  function trapFocus(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeSettings(true);
      return;
    }
    if (event.key !== 'Tab') {
      return;
    }
    var focusable = dialogEl.querySelectorAll('a[href], button, input:not([disabled])');
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  // ---- start ----------------------------------------------------------------------------------------------------------

  function loadConfig() {
    return call('GET', '/banner/v1/config?lang=' + language).then(function (loaded) { config = loaded; });
  }

  /** The page's language changed: show the banner and the dialog again in it. */
  function relabel() {
    var next = pageLanguage();
    if (next === language || !config) {
      return;
    }
    language = next;
    loadConfig().then(function () {
      if (bannerEl) {
        showBanner();
      }
      if (dialogEl) {
        openSettings(returnFocus);
      }
    });
  }

  var api = {
    /** True when the purpose may be used now (strictly necessary ones always). */
    has: function (purpose) { return !!granted[purpose]; },
    /** Calls listener(consent) after every change; returns a function that stops it. */
    onChange: function (listener) {
      listeners.push(listener);
      return function () { listeners = listeners.filter(function (l) { return l !== listener; }); };
    },
    openSettings: function () { ready.then(function () { openSettings(document.activeElement); }); },
    /** The purposes that may be used now. */
    granted: function () { return Object.keys(granted).sort(); },
    /** The id in the consent cookie, or null before the first decision. */
    visitorId: function () { return visitor; },
    /** Resolves once the banner knows the visitor's consent. */
    ready: ready
  };
  window.consent = api;

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('[data-consent-settings]');
    if (link) {
      event.preventDefault();
      api.openSettings();
    }
  });

  function start() {
    var stylesheet = element('link', { rel: 'stylesheet', href: base + '/banner/v1/consent.css' });
    document.head.appendChild(stylesheet);
    new MutationObserver(relabel).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    var current = visitor ? call('GET', '/consent/subjects/visitor/' + visitor).catch(function () { return undefined; }) : null;
    Promise.all([loadConfig(), current]).then(function (loaded) {
      var state = loaded[1];
      if (state === undefined) {
        apply(null); // the service could not be asked: strictly necessary only, and no banner to nag with
      } else {
        apply(state);
        reason = askReason();
        if (reason) {
          showBanner();
        }
      }
      document.documentElement.setAttribute('data-consent-ready', 'true');
      resolveReady(api);
    }, function () {
      document.documentElement.setAttribute('data-consent-ready', 'failed');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
