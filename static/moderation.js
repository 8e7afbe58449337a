// Keyboard shortcuts for the moderation queue. A progressive enhancement: every action also
// works with the buttons, without JavaScript. Loaded from 'self' only (the pages' CSP).
(function () {
  "use strict";

  var items = Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  var help = document.getElementById("shortcuts");
  // A moderator may turn one-key shortcuts off (WCAG 2.1.4): then none is bound at all.
  if (!items.length || !help || help.getAttribute("data-enabled") !== "on") {
    return;
  }

  // After an action the page reloads (POST, redirect, GET): come back to the same position,
  // where the next comment now is.
  var POSITION = "engage-moderation-position";
  var current = -1;

  function select(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) {
      item.classList.toggle("is-current", i === current);
    });
    items[current].focus({ preventScroll: true });
    items[current].scrollIntoView({ block: "nearest" });
  }

  function isTyping(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    if (target.isContentEditable || target.closest("textarea, select")) {
      return true;
    }
    var input = target.closest("input");
    return input !== null && !/^(checkbox|radio|button|submit|reset)$/.test(input.type);
  }

  // Shortcuts act only from a comment of the queue or the page itself: never while the
  // keyboard is on the top bar, the filters or a menu ("f" on "Journal" featured a comment).
  function onAQueueItem(target) {
    if (!(target instanceof Element) || target === document.body || target === document.documentElement) {
      return true;
    }
    return target.closest("[data-item]") !== null;
  }

  function press(names) {
    if (current < 0) {
      return false;
    }
    for (var i = 0; i < names.length; i += 1) {
      var button = items[current].querySelector('[data-action="' + names[i] + '"]');
      if (button) {
        try {
          sessionStorage.setItem(POSITION, JSON.stringify({ path: location.pathname + location.search, index: current }));
        } catch (e) {
          // Private browsing may refuse storage; the shortcut still works.
        }
        button.click(); // runs the form's own checks, such as a required reason
        return true;
      }
    }
    return false;
  }

  function tick() {
    if (current < 0) {
      return;
    }
    var box = items[current].querySelector("input.tick");
    if (box) {
      box.checked = !box.checked;
    }
  }

  var KEYS = {
    j: function () { select(current + 1); },
    k: function () { select(current < 0 ? 0 : current - 1); },
    a: function () { press(["approve"]); },
    r: function () { press(["reject"]); },
    s: function () { press(["spam"]); },
    f: function () { press(["feature", "unfeature"]); },
    x: tick
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var action = KEYS[event.key];
    if (!action || isTyping(event.target) || !onAQueueItem(event.target)) {
      return;
    }
    event.preventDefault();
    action();
  });

  // Tabbing into a comment makes it the current one, so j and k go on from there.
  document.addEventListener("focusin", function (event) {
    var item = event.target instanceof Element ? event.target.closest("[data-item]") : null;
    var index = item ? items.indexOf(item) : -1;
    if (index >= 0 && index !== current) {
      current = index;
      items.forEach(function (other, i) {
        other.classList.toggle("is-current", i === current);
      });
    }
  });

  try {
    var saved = JSON.parse(sessionStorage.getItem(POSITION) || "null");
    sessionStorage.removeItem(POSITION);
    if (saved && saved.path === location.pathname + location.search) {
      select(saved.index);
    }
  } catch (e) {
    // Nothing saved, or storage refused: start at the top.
  }
})();
