/*
 * Smultronsites privacy center, v1. No dependencies. On the service's own page (/privacy-center) and on the website's:
 *   <div id="privacy-center"></div>
 *   <script src="https://privacy.example.se/privacy-center/privacy-center.js" data-target="#privacy-center" defer></script>
 * Optional attributes, on the script or the target: data-lang (sv or en; else <html lang>; else sv), data-request (a request id:
 * the page opens at the code step; ?request= in the page's address does the same).
 *
 * A person chooses a right, gives an e-mail address, enters the code sent there and lands on the request's status page. The page
 * says the same thing whoever the address belongs to. It branches on the HTTP status and the problem's `reason`, never on its
 * wording, and shows its own words in the page's language.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script) {
    return;
  }

  var base = script.src.replace(/\/privacy-center\.js(\?.*)?$/, ''); // e.g. https://privacy.example.se/privacy-center
  var target = document.querySelector(script.getAttribute('data-target') || '#privacy-center');
  if (!target) {
    return;
  }

  var TEXT = {
    sv: {
      loading: 'Laddar …',
      formTitle: 'Gör en begäran',
      formLead: 'Här kan du använda dina rättigheter enligt dataskyddsförordningen (GDPR) utan att logga in. ' +
        'Vi skickar en kod till din e-postadress så att vi vet att adressen är din.',
      policy: 'Läs vår integritetspolicy',
      rightLegend: 'Vad vill du göra?',
      purposeLabel: 'Vilken behandling gäller det?',
      consentLabel: 'Vilket samtycke vill du återkalla?',
      choose: 'Välj …',
      categoryLabel: 'Vilken uppgift gäller det?',
      valueLabel: 'Så här ska det stå',
      valueHint: 'Skriv den rätta eller saknade uppgiften.',
      emailLabel: 'E-postadress',
      emailHint: 'Vi skickar koden hit. Vi svarar också hit.',
      customerLabel: 'Kundnummer (frivilligt)',
      customerHint: 'Finns på dina bokningsbekräftelser och fakturor. Hjälper oss att hitta dina uppgifter.',
      pinLabel: 'Personnummer (frivilligt)',
      pinHint: 'ÅÅÅÅMMDD-NNNN. Vi kontrollerar det innan det används.',
      submit: 'Skicka begäran',
      sending: 'Skickar …',
      codeTitle: 'Bekräfta din e-postadress',
      codeSent: 'Vi har skickat en kod med {n} siffror till {email}. Koden gäller i {m} minuter.',
      codeSentUnknown: 'Vi har skickat en kod med {n} siffror till e-postadressen du angav. Koden gäller i {m} minuter.',
      codeSpam: 'Hittar du inte mejlet? Titta i skräpposten, eller be om en ny kod.',
      codeLabel: 'Koden från mejlet',
      codeHint: '{n} siffror.',
      confirm: 'Bekräfta',
      confirming: 'Kontrollerar koden …',
      resend: 'Skicka en ny kod',
      resending: 'Skickar en ny kod …',
      resent: 'Vi har skickat en ny kod. Den gäller i {m} minuter. Den förra koden fungerar inte längre.',
      startOver: 'Börja om',
      confirmed: 'Din e-postadress är bekräftad. Vi öppnar din begäran …',
      lockedTitle: 'Begäran är stängd',
      locked: 'Fel kod angavs för många gånger, så vi har stängt begäran för att skydda dina uppgifter. ' +
        'Vi har skickat ett meddelande om det till e-postadressen. Gör en ny begäran om du vill försöka igen.',
      closedTitle: 'Begäran väntar inte längre på en kod',
      closed: 'Den här begäran är redan bekräftad eller stängd. Våra mejl om den visar var den står och har en länk till den. ' +
        'Du kan också göra en ny begäran.',
      missingTitle: 'Vi hittar inte begäran',
      missing: 'Länken leder inte till någon begäran. Gör en ny begäran.',
      newRequest: 'Gör en ny begäran',
      fixFields: 'Något behöver rättas. Se meddelandet vid fältet.',
      needRight: 'Välj vad du vill göra.',
      needPurpose: 'Välj en behandling.',
      needConsent: 'Välj ett samtycke.',
      needCategory: 'Välj vilken uppgift det gäller.',
      needValue: 'Skriv hur det ska stå.',
      needEmail: 'Skriv din e-postadress. Vi skickar koden dit.',
      badEmail: 'Skriv en e-postadress, till exempel namn@example.com.',
      badCustomer: 'Det här är inte ett kundnummer. Kontrollera det eller lämna fältet tomt.',
      badPin: 'Det här är inte ett giltigt personnummer. Kontrollera det (ÅÅÅÅMMDD-NNNN) eller lämna fältet tomt.',
      badCode: 'Skriv de {n} siffrorna från mejlet.',
      wrongCode: 'Koden stämmer inte. Du har {k} försök kvar.',
      wrongCodeLast: 'Koden stämmer inte. Du har ett försök kvar; efter det stängs begäran.',
      expired: 'Koden har gått ut. Be om en ny kod.',
      refused: 'Vi kan inte ta emot begäran så här. Kontrollera ditt val, eller skriv till hello@smultronsites.com.',
      emailLimit: 'Det har gjorts flera begäranden för den här e-postadressen nyligen. Använd koden du redan fått, eller försök igen {when}.',
      resendSoon: 'Vi skickade nyss en kod. Vänta på den, eller be om en ny {when}.',
      resendLimit: 'Vi har skickat så många nya koder som går för den här begäran. Använd den senaste, eller gör en ny begäran.',
      tooMany: 'För många försök. Försök igen {when}.',
      later: 'senare',
      inSeconds: 'om {n} sekunder',
      inMinutes: 'om {n} minuter',
      inOneMinute: 'om en minut',
      inHours: 'om {n} timmar',
      offline: 'Vi fick ingen kontakt med tjänsten. Kontrollera din anslutning och försök igen.',
      failed: 'Något gick fel hos oss. Försök igen om en stund, eller skriv till hello@smultronsites.com.',
      retry: 'Försök igen',
      required: 'obligatoriskt'
    },
    en: {
      loading: 'Loading …',
      formTitle: 'Make a request',
      formLead: 'Here you can use your rights under the General Data Protection Regulation (GDPR) without signing in. ' +
        'We send a code to your e-mail address so that we know the address is yours.',
      policy: 'Read our privacy policy',
      rightLegend: 'What would you like to do?',
      purposeLabel: 'Which processing is it about?',
      consentLabel: 'Which consent do you want to withdraw?',
      choose: 'Choose …',
      categoryLabel: 'Which data is it about?',
      valueLabel: 'What it should say',
      valueHint: 'Write the correct or missing data.',
      emailLabel: 'E-mail address',
      emailHint: 'We send the code here. We also answer here.',
      customerLabel: 'Customer number (optional)',
      customerHint: 'On your booking confirmations and invoices. It helps us find your data.',
      pinLabel: 'Swedish personal identity number (optional)',
      pinHint: 'YYYYMMDD-NNNN. We check it before it is used.',
      submit: 'Send the request',
      sending: 'Sending …',
      codeTitle: 'Confirm your e-mail address',
      codeSent: 'We sent a {n}-digit code to {email}. The code is valid for {m} minutes.',
      codeSentUnknown: 'We sent a {n}-digit code to the e-mail address you gave. The code is valid for {m} minutes.',
      codeSpam: 'Cannot find the e-mail? Look in your spam folder, or ask for a new code.',
      codeLabel: 'The code from the e-mail',
      codeHint: '{n} digits.',
      confirm: 'Confirm',
      confirming: 'Checking the code …',
      resend: 'Send a new code',
      resending: 'Sending a new code …',
      resent: 'We sent a new code. It is valid for {m} minutes. The previous code no longer works.',
      startOver: 'Start over',
      confirmed: 'Your e-mail address is confirmed. Opening your request …',
      lockedTitle: 'The request is closed',
      locked: 'A wrong code was entered too many times, so we closed the request to protect your data. ' +
        'We sent a message about it to the e-mail address. Make a new request if you want to try again.',
      closedTitle: 'The request no longer waits for a code',
      closed: 'This request is already confirmed or closed. Our e-mails about it say where it stands and link to it. ' +
        'You can also make a new request.',
      missingTitle: 'We cannot find the request',
      missing: 'The link does not lead to a request. Make a new request.',
      newRequest: 'Make a new request',
      fixFields: 'Something needs correcting. See the message at the field.',
      needRight: 'Choose what you would like to do.',
      needPurpose: 'Choose a processing.',
      needConsent: 'Choose a consent.',
      needCategory: 'Choose which data it is about.',
      needValue: 'Write what it should say.',
      needEmail: 'Enter your e-mail address. We send the code there.',
      badEmail: 'Enter an e-mail address, for example name@example.com.',
      badCustomer: 'This is not a customer number. Check it or leave the field empty.',
      badPin: 'This is not a valid personal identity number. Check it (YYYYMMDD-NNNN) or leave the field empty.',
      badCode: 'Enter the {n} digits from the e-mail.',
      wrongCode: 'The code is not right. You have {k} attempts left.',
      wrongCodeLast: 'The code is not right. You have one attempt left; after that the request is closed.',
      expired: 'The code has expired. Ask for a new code.',
      refused: 'We cannot accept the request like this. Check your choice, or write to hello@smultronsites.com.',
      emailLimit: 'Several requests were made for this e-mail address recently. Use the code you already have, or try again {when}.',
      resendSoon: 'We sent a code a moment ago. Wait for it, or ask for a new one {when}.',
      resendLimit: 'We have sent as many new codes as we can for this request. Use the latest, or make a new request.',
      tooMany: 'Too many attempts. Try again {when}.',
      later: 'later',
      inSeconds: 'in {n} seconds',
      inMinutes: 'in {n} minutes',
      inOneMinute: 'in a minute',
      inHours: 'in {n} hours',
      offline: 'We could not reach the service. Check your connection and try again.',
      failed: 'Something went wrong on our side. Try again in a while, or write to hello@smultronsites.com.',
      retry: 'Try again',
      required: 'required'
    }
  };

  var language = pageLanguage();
  var config = null;          // GET {base}/config
  var requestId = initialRequest();
  var email = null;           // the address given on this page (shown back in the code step)
  var statusEl = null;        // the live region
  var busy = false;
  var uid = 0;

  function pageLanguage() {
    var lang = (script.getAttribute('data-lang') || target.getAttribute('data-lang') ||
      document.documentElement.getAttribute('lang') || '').toLowerCase();
    return lang.indexOf('en') === 0 ? 'en' : 'sv';
  }

  function initialRequest() {
    var given = script.getAttribute('data-request') || target.getAttribute('data-request');
    if (!given) {
      var match = /[?&]request=([0-9a-fA-F-]{32,36})(&|$)/.exec(window.location.search);
      given = match ? match[1] : null;
    }
    return given && /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(given) ? given : null;
  }

  function t(name, values) {
    var text = TEXT[language][name];
    Object.keys(values || {}).forEach(function (key) { text = text.split('{' + key + '}').join(String(values[key])); });
    return text;
  }

  // ---- the service ----------------------------------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var values = new Uint8Array(16);
    crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /** Answers {status, body, retryAfter}; a network failure answers status 0. */
  function call(method, path, body, idempotencyKey) {
    var options = { method: method, headers: { Accept: 'application/json' }, credentials: 'omit', mode: 'cors' };
    if (idempotencyKey) {
      options.headers['Idempotency-Key'] = idempotencyKey;
    }
    if (!sameOrigin()) {
      // The configuration is cacheable, and its answer to a same-origin request carries no Access-Control-Allow-Origin: reused
      // here, the browser would refuse it. The service says Vary: Origin, but a cache on the way may not heed it: ask again.
      options.cache = 'no-cache';
    }
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(base + path, options).then(function (response) {
      var retryAfter = parseInt(response.headers.get('Retry-After') || '', 10);
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: response.status, body: parsed || {}, retryAfter: isNaN(retryAfter) ? null : retryAfter };
      });
    }, function () {
      return { status: 0, body: {}, retryAfter: null };
    });
  }

  function when(seconds) {
    if (seconds === null || seconds === undefined) {
      return t('later'); // a page on another origin cannot read Retry-After
    }
    if (seconds < 60) {
      return t('inSeconds', { n: Math.max(1, seconds) });
    }
    if (seconds < 120) {
      return t('inOneMinute');
    }
    if (seconds < 2 * 3600) {
      return t('inMinutes', { n: Math.ceil(seconds / 60) });
    }
    return t('inHours', { n: Math.ceil(seconds / 3600) });
  }

  // ---- building the page ----------------------------------------------------------------------------------------------

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (name === 'text') {
        node.textContent = value;
      } else if (name === 'on') {
        Object.keys(value).forEach(function (event) { node.addEventListener(event, value[event]); });
      } else {
        node.setAttribute(name, value === true ? '' : value);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function id(name) { uid += 1; return 'spc-' + name + '-' + uid; }

  /** Replaces the step shown: its heading takes the focus, so a screen reader starts there. */
  function showStep(name, title, children, focusHeading) {
    var existing = target.querySelector('.spc-step');
    if (existing) {
      existing.parentNode.removeChild(existing);
    }
    var heading = el('h2', { 'class': 'spc-step-title', id: 'spc-step-title', tabindex: '-1', text: title });
    var step = el('section', { 'class': 'spc-step', 'data-step': name, 'aria-labelledby': 'spc-step-title', lang: language },
      [heading].concat(children).concat([statusRegion()]));
    target.appendChild(step);
    target.setAttribute('data-step', name);
    if (focusHeading !== false) {
      heading.focus();
    }
    return step;
  }

  function statusRegion() {
    statusEl = el('p', { 'class': 'spc-status', id: 'spc-status', role: 'status', 'aria-live': 'polite' });
    return statusEl;
  }

  function say(text, isError) {
    if (!statusEl) {
      return;
    }
    statusEl.className = isError ? 'spc-status spc-error' : 'spc-status';
    statusEl.textContent = text || '';
  }

  /** A labelled field with its hint and the place for its error, both named by aria-describedby. */
  function field(name, label, control, hint) {
    var hintId = hint ? control.id + '-hint' : null;
    var errorId = control.id + '-error';
    control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    control.setAttribute('data-error', errorId);
    return el('div', { 'class': 'spc-field', 'data-field': name }, [
      el('label', { 'for': control.id, text: label }),
      hint ? el('span', { 'class': 'spc-hint', id: hintId, text: hint }) : null,
      el('span', { 'class': 'spc-field-error', id: errorId }),
      control
    ]);
  }

  function setError(control, message) {
    var error = document.getElementById(control.getAttribute('data-error'));
    if (message) {
      control.setAttribute('aria-invalid', 'true');
      error.textContent = message;
    } else {
      control.removeAttribute('aria-invalid');
      error.textContent = '';
    }
  }

  function clearErrors(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll('[data-error]'), function (control) { setError(control, null); });
  }

  function button(text, attributes, onClick) {
    var b = el('button', Object.assign({ type: 'button', 'class': 'spc-button' }, attributes || {}), [text]);
    if (onClick) {
      b.addEventListener('click', onClick);
    }
    return b;
  }

  /** Runs one call at a time; the button stays focusable (aria-disabled) so focus is not lost while it runs. */
  function working(trigger, progress, action) {
    if (busy) {
      return Promise.resolve();
    }
    busy = true;
    trigger.setAttribute('aria-disabled', 'true');
    say(progress);
    return action().then(function () {
      busy = false;
      trigger.removeAttribute('aria-disabled');
    }, function () {
      busy = false;
      trigger.removeAttribute('aria-disabled');
      say(t('failed'), true);
    });
  }

  // ---- step 0: the configuration ---------------------------------------------------------------------------------------

  function start() {
    if (target.className.indexOf('spc-main') < 0) {
      target.className = (target.className ? target.className + ' ' : '') + 'spc-main spc-embedded';
    }
    if (!document.querySelector('link[href$="privacy-center.css"]')) {
      document.head.appendChild(el('link', { rel: 'stylesheet', href: base + '/privacy-center.css' }));
    }
    var loading = el('p', { 'class': 'spc-status', role: 'status', 'aria-live': 'polite', text: t('loading') });
    target.appendChild(loading);
    call('GET', '/config?lang=' + language).then(function (answer) {
      loading.parentNode.removeChild(loading);
      if (answer.status !== 200) {
        unavailable(answer.status === 0 ? t('offline') : t('failed'));
        return;
      }
      config = answer.body;
      if (requestId) {
        codeStep(false);
      } else {
        formStep(false);
      }
    });
  }

  function unavailable(message) {
    showStep('unavailable', t('formTitle'), [
      el('div', { 'class': 'spc-actions' }, [button(t('retry'), null, function () {
        var step = target.querySelector('.spc-step');
        step.parentNode.removeChild(step);
        start();
      })])
    ], false);
    say(message, true);
  }

  // ---- step 1: the form ------------------------------------------------------------------------------------------------

  function formStep(focusHeading) {
    var rightsName = 'spc-right';
    var legendId = id('rights');
    var rightsError = el('span', { 'class': 'spc-field-error', id: legendId + '-error' });
    var choices = config.rights.map(function (right) {
      var inputId = 'spc-right-' + right.key;
      var descriptionId = inputId + '-description';
      return el('div', { 'class': 'spc-choice' }, [
        el('input', { type: 'radio', name: rightsName, id: inputId, value: right.key, 'aria-describedby': descriptionId }),
        el('label', { 'for': inputId }, [
          el('span', { 'class': 'spc-choice-name', text: right.name }),
          el('span', { 'class': 'spc-description', id: descriptionId, text: right.description + ' (' + right.article + ')' })
        ])
      ]);
    });
    var rights = el('fieldset', { 'class': 'spc-fieldset', id: legendId, 'aria-describedby': rightsError.id, 'data-error': rightsError.id }, [
      el('legend', { text: t('rightLegend') }),
      rightsError
    ].concat(choices));

    var purpose = el('select', { 'class': 'spc-select', id: 'spc-purpose', name: 'purpose' });
    var purposeLabel = el('label', { 'for': 'spc-purpose' });
    var purposeField = field('purpose', '', purpose);
    purposeField.replaceChild(purposeLabel, purposeField.querySelector('label'));
    var category = el('select', { 'class': 'spc-select', id: 'spc-category', name: 'category' },
      [el('option', { value: '', text: t('choose') })].concat(config.categories.map(function (c) {
        return el('option', { value: c.key, text: c.name });
      })));
    var value = el('input', { 'class': 'spc-input', id: 'spc-value', name: 'value', type: 'text', maxlength: '1000' });
    var categoryField = field('category', t('categoryLabel'), category);
    var valueField = field('value', t('valueLabel'), value, t('valueHint'));
    var emailInput = el('input', {
      'class': 'spc-input', id: 'spc-email', name: 'email', type: 'email', autocomplete: 'email', required: true,
      'aria-required': 'true', maxlength: '320', spellcheck: 'false'
    });
    var customer = el('input', { 'class': 'spc-input', id: 'spc-customer', name: 'customerNumber', type: 'text', autocomplete: 'off', maxlength: '64' });
    var pin = el('input', { 'class': 'spc-input', id: 'spc-pin', name: 'nationalIdentityNumber', type: 'text', autocomplete: 'off', maxlength: '13', inputmode: 'numeric' });
    var submit = el('button', { type: 'submit', 'class': 'spc-button', id: 'spc-submit' }, [t('submit')]);

    var form = el('form', { 'class': 'spc-form', id: 'spc-form', novalidate: true, 'aria-describedby': 'spc-form-lead' }, [
      rights, purposeField, categoryField, valueField,
      field('email', t('emailLabel'), emailInput, t('emailHint')),
      field('customerNumber', t('customerLabel'), customer, t('customerHint')),
      field('nationalIdentityNumber', t('pinLabel'), pin, t('pinHint')),
      el('div', { 'class': 'spc-actions' }, [submit])
    ]);

    function chosen() {
      var checked = form.querySelector('input[name="' + rightsName + '"]:checked');
      return checked ? checked.value : null;
    }

    function showExtras() {
      var right = chosen();
      var purposes = right === 'withdraw_consent' ? config.withdrawablePurposes : right === 'objection' ? config.objectablePurposes : null;
      purposeField.hidden = !purposes;
      if (purposes) {
        purposeLabel.textContent = right === 'withdraw_consent' ? t('consentLabel') : t('purposeLabel');
        var previous = purpose.value;
        purpose.textContent = '';
        purpose.appendChild(el('option', { value: '', text: t('choose') }));
        purposes.forEach(function (p) { purpose.appendChild(el('option', { value: p.key, text: p.name })); });
        purpose.value = purposes.some(function (p) { return p.key === previous; }) ? previous : '';
      }
      var changes = right === 'rectification' || right === 'completion';
      categoryField.hidden = !changes;
      valueField.hidden = !changes;
    }

    form.addEventListener('change', function (event) {
      if (event.target.name === rightsName) {
        setError(rights, null);
        showExtras();
      }
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      send();
    });

    var lastSent = null;
    var submissionKey = null;

    function send() {
      clearErrors(form);
      var right = chosen();
      var problems = [];
      if (!right) {
        problems.push([rights, t('needRight'), form.querySelector('input[name="' + rightsName + '"]')]);
      }
      if (!purposeField.hidden && !purpose.value) {
        problems.push([purpose, right === 'withdraw_consent' ? t('needConsent') : t('needPurpose')]);
      }
      if (!categoryField.hidden && !category.value) {
        problems.push([category, t('needCategory')]);
      }
      if (!valueField.hidden && !value.value.trim()) {
        problems.push([value, t('needValue')]);
      }
      var address = emailInput.value.trim();
      if (!address) {
        problems.push([emailInput, t('needEmail')]);
      } else if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
        problems.push([emailInput, t('badEmail')]);
      }
      if (problems.length > 0) {
        showProblems(problems);
        return;
      }

      var body = {
        type: right === 'withdraw_consent' ? 'objection' : right, // a withdrawal is an objection to a purpose resting on consent
        subject: { email: address, customerNumber: customer.value.trim() || null, nationalIdentityNumber: pin.value.trim() || null },
        changes: null,
        purpose: purposeField.hidden ? null : purpose.value,
        language: language
      };
      if (!categoryField.hidden) {
        body.changes = {};
        body.changes[category.value] = value.value.trim();
      }
      // The same submission sent again (after a lost answer or a failure) carries the same key: one request, one code.
      var sent = JSON.stringify(body);
      if (sent !== lastSent) {
        lastSent = sent;
        submissionKey = newKey();
      }
      working(submit, t('sending'), function () {
        return call('POST', '/requests', body, submissionKey).then(function (answer) { submitted(answer, address); });
      });
    }

    function submitted(answer, address) {
      if (answer.status === 202) {
        requestId = answer.body.requestId;
        email = address;
        codeStep(true);
        return;
      }
      if (answer.status === 400) {
        var problems = [];
        Object.keys(answer.body.errors || {}).forEach(function (key) {
          var name = key.toLowerCase();
          if (name === 'subject.email' || name === 'subject') {
            problems.push([emailInput, t('badEmail')]);
          } else if (name === 'subject.customernumber') {
            problems.push([customer, t('badCustomer')]);
          } else if (name === 'subject.nationalidentitynumber') {
            problems.push([pin, t('badPin')]);
          } else if (name.indexOf('changes') === 0) {
            problems.push(categoryField.hidden ? [rights, t('refused')] : [category, t('needCategory')]);
          } else if (name === 'purpose') {
            problems.push(purposeField.hidden ? [rights, t('refused')] : [purpose, t('needPurpose')]);
          } else {
            problems.push([rights, t('refused'), form.querySelector('input[name="' + rightsName + '"]')]);
          }
        });
        showProblems(problems.length ? problems : [[rights, t('refused')]]);
        return;
      }
      if (answer.status === 422) {
        say(t('refused'), true);
        return;
      }
      if (answer.status === 429) {
        say(answer.body.reason === 'email_limit' ? t('emailLimit', { when: when(answer.retryAfter) }) : t('tooMany', { when: when(answer.retryAfter) }), true);
        return;
      }
      say(answer.status === 0 ? t('offline') : t('failed'), true);
    }

    showStep('form', t('formTitle'), [
      el('p', { 'class': 'spc-lead', id: 'spc-form-lead' }, [t('formLead') + ' ',
        el('a', { 'class': 'spc-link', href: policyHref(), text: t('policy') }), '.']),
      form
    ], focusHeading);
    showExtras();
  }

  function policyHref() {
    var url = config.policyUrl || '';
    return /^https?:/.test(url) ? url : origin() + url;
  }

  /** Each problem is [control, message, element to focus]: shown at its field, the first one focused. */
  function showProblems(problems) {
    problems.forEach(function (p) { setError(p[0], p[1]); });
    say(t('fixFields'), true);
    var first = problems[0];
    (first[2] || first[0]).focus();
  }

  // ---- step 2: the code ------------------------------------------------------------------------------------------------

  function codeStep(focusHeading) {
    var length = config.codeLength || 6;
    var code = el('input', {
      'class': 'spc-input spc-code-input', id: 'spc-code', name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
      pattern: '[0-9]{' + length + '}', maxlength: String(length), required: true, 'aria-required': 'true', spellcheck: 'false'
    });
    var confirm = el('button', { type: 'submit', 'class': 'spc-button', id: 'spc-confirm' }, [t('confirm')]);
    var resend = button(t('resend'), { 'class': 'spc-button spc-secondary', id: 'spc-resend' }, function () { resendCode(resend, code); });
    var again = button(t('startOver'), { 'class': 'spc-button spc-secondary', id: 'spc-start-over' }, startOver);
    var form = el('form', { 'class': 'spc-form', id: 'spc-code-form', novalidate: true }, [
      field('code', t('codeLabel'), code, t('codeHint', { n: length })),
      el('div', { 'class': 'spc-actions' }, [confirm, resend, again])
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      setError(code, null);
      var entered = code.value.replace(/\s+/g, '');
      if (!new RegExp('^[0-9]{' + length + '}$').test(entered)) {
        showProblems([[code, t('badCode', { n: length })]]);
        return;
      }
      working(confirm, t('confirming'), function () {
        return call('POST', '/requests/' + encodeURIComponent(requestId) + '/verification', { code: entered }).then(function (answer) {
          verified(answer, code);
        });
      });
    });

    var values = { n: length, m: config.codeValidityMinutes, email: email };
    showStep('code', t('codeTitle'), [
      el('p', { 'class': 'spc-lead', id: 'spc-code-sent', text: email ? t('codeSent', values) : t('codeSentUnknown', values) }),
      el('p', { 'class': 'spc-note', text: t('codeSpam') }),
      form
    ], focusHeading);
  }

  function verified(answer, code) {
    var reason = answer.body.reason;
    if (answer.status === 200) {
      say(t('confirmed'));
      // On the service's own origin the path is enough; embedded elsewhere, the full address.
      window.location.assign(sameOrigin() ? origin() + answer.body.statusPath : answer.body.statusUrl);
      return;
    }
    if (answer.status === 422) {
      if (reason === 'code_expired') {
        showProblems([[code, t('expired'), document.getElementById('spc-resend')]]);
        code.focus();
        return;
      }
      var left = typeof answer.body.attemptsLeft === 'number' ? answer.body.attemptsLeft : null;
      showProblems([[code, left === 1 ? t('wrongCodeLast') : left === null ? t('badCode', { n: config.codeLength || 6 }) : t('wrongCode', { k: left })]]);
      code.select();
      return;
    }
    if (answer.status === 400) {
      showProblems([[code, t('badCode', { n: config.codeLength || 6 })]]);
      return;
    }
    if (answer.status === 409) {
      endStep(reason === 'locked' ? 'locked' : 'closed');
      return;
    }
    if (answer.status === 404) {
      endStep('missing');
      return;
    }
    if (answer.status === 429) {
      say(t('tooMany', { when: when(answer.retryAfter) }), true);
      return;
    }
    say(answer.status === 0 ? t('offline') : t('failed'), true);
  }

  function resendCode(trigger, code) {
    working(trigger, t('resending'), function () {
      return call('POST', '/requests/' + encodeURIComponent(requestId) + '/code').then(function (answer) {
        if (answer.status === 202) {
          setError(code, null);
          code.value = '';
          say(t('resent', { m: config.codeValidityMinutes }));
          code.focus();
        } else if (answer.status === 429) {
          say(answer.body.reason === 'resend_limit' ? t('resendLimit')
            : answer.body.reason === 'resend_too_soon' ? t('resendSoon', { when: when(answer.retryAfter) })
              : t('tooMany', { when: when(answer.retryAfter) }), true);
        } else if (answer.status === 409) {
          endStep('closed');
        } else if (answer.status === 404) {
          endStep('missing');
        } else {
          say(answer.status === 0 ? t('offline') : t('failed'), true);
        }
      });
    });
  }

  // ---- the ends: locked, closed, not found -----------------------------------------------------------------------------

  function endStep(kind) {
    showStep(kind, t(kind + 'Title'), [
      el('p', { 'class': 'spc-lead', id: 'spc-end-message', text: t(kind) }),
      el('div', { 'class': 'spc-actions' }, [button(t('newRequest'), { id: 'spc-new-request' }, startOver)])
    ]);
  }

  function startOver() {
    requestId = null;
    email = null;
    if (window.history && window.history.replaceState && /[?&]request=/.test(window.location.search) && sameOrigin()) {
      window.history.replaceState(null, '', window.location.pathname + '?lang=' + language);
    }
    formStep(true);
  }

  function origin() {
    var match = /^(https?:\/\/[^/]+)/.exec(base);
    return match ? match[1] : window.location.origin;
  }

  function sameOrigin() { return origin() === window.location.origin; }

  start();
}());
