/* The mesure page's forms: no choice is lost without the user knowing.
   - A statut is saved as soon as it is chosen (once the choice has settled, SETTLE_MS); « Détaillé »
     once its three % are filled in (or with the row's button).
   - A form typed in but not saved carries data-unsaved (the stylesheet shows « Non enregistré »), and
     the page asks before it is left while one does. The server marks a refused row data-refused: its
     values are what was typed, not what is saved.
   - A save answers all the rows again (htmx swaps #mesure-live): what is being typed in the other rows,
     and which texts are open, is put back into the new rows.
   Loaded by mesure.html with <script src> (no inline script: the pages' CSP is script-src 'self'). */
(function () {
  "use strict";

  var LIVE = "mesure-live";
  var PCTS = ["fait", "programme", "pas_fait"];
  // A choice is sent once it has settled: the arrow keys on a closed <select> fire « change » at every
  // step, and each would be a write in the history.
  var SETTLE_MS = 400;

  function tracked(form) {
    return !!form && form.matches("main form[method=post]");
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.tagName !== "BUTTON";
    });
  }

  function changed(form) {
    return fields(form).some(function (el) {
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) {
          return o.selected !== o.defaultSelected;
        });
      }
      if (el.type === "checkbox" || el.type === "radio") {
        return el.checked !== el.defaultChecked;
      }
      return el.value !== el.defaultValue;
    });
  }

  function mark(form) {
    if (changed(form) || form.hasAttribute("data-refused")) {
      form.setAttribute("data-unsaved", "");
    } else {
      form.removeAttribute("data-unsaved");
    }
  }

  function save(form) {
    if (form.requestSubmit) {
      form.requestSubmit(); // the browser checks the fields first (a % must be a multiple of 5)
    } else {
      form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    }
  }

  function formKey(form) {
    var target = form.elements.action_id;
    return form.className + "|" + (target ? target.value : "");
  }

  function findForm(key) {
    var forms = document.querySelectorAll("main form");
    for (var i = 0; i < forms.length; i += 1) {
      if (formKey(forms[i]) === key) {
        return forms[i];
      }
    }
    return null;
  }

  // By key, not by element: a refresh of the rows in between replaces the form (and puts the typing back).
  var pending = new Map();

  function saveSoon(form) {
    var key = formKey(form);
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(function () {
        pending.delete(key);
        var current = findForm(key);
        if (current && current.hasAttribute("data-unsaved")) {
          save(current);
        }
      }, SETTLE_MS)
    );
  }

  function pctsFilled(form) {
    return PCTS.every(function (name) {
      var field = form.elements[name];
      return !!field && field.value.trim() !== "";
    });
  }

  document.addEventListener("input", function (event) {
    if (tracked(event.target.form)) {
      mark(event.target.form);
    }
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!tracked(form)) {
      return;
    }
    mark(form);
    if (!form.hasAttribute("data-autosave")) {
      return;
    }
    var select = form.elements.avancement;
    if (select.value !== "detaille") {
      if (event.target === select) {
        saveSoon(form);
      }
    } else if (pctsFilled(form)) {
      saveSoon(form);
    } else if (event.target === select) {
      form.elements.fait.focus();
    }
  });

  // Sent: no longer the page's to keep. A request that fails marks it again (below).
  document.addEventListener(
    "submit",
    function (event) {
      if (tracked(event.target)) {
        event.target.removeAttribute("data-unsaved");
        event.target.removeAttribute("data-refused");
      }
    },
    true
  );

  function requestFailed(event) {
    var form = event.detail && event.detail.elt;
    if (tracked(form)) {
      form.setAttribute("data-unsaved", "");
      form.setAttribute("data-refused", "");
    }
  }
  document.addEventListener("htmx:sendError", requestFailed);
  document.addEventListener("htmx:responseError", requestFailed);

  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("main form[data-unsaved]")) {
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when a value is set
    }
  });

  // -- keeping the other rows' typing across a swap of #mesure-live --------------------------------

  function detailsKeys(live) {
    var keys = new Map();
    live.querySelectorAll("tr[id]").forEach(function (row) {
      row.querySelectorAll("details").forEach(function (details, index) {
        keys.set(details, row.id + "|" + index);
      });
    });
    return keys;
  }

  var kept = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var live = event.detail.target;
    if (!live || live.id !== LIVE) {
      return;
    }
    var requester = event.detail.elt;
    var active = document.activeElement;
    kept = { forms: new Map(), open: new Set(), focus: null };
    live.querySelectorAll("form[data-unsaved]").forEach(function (form) {
      if (form === requester) {
        return; // the server answers it: saved, or refused with what was typed
      }
      kept.forms.set(formKey(form), {
        refused: form.hasAttribute("data-refused"),
        values: fields(form).map(function (el) {
          return [el.name, el.value];
        }),
      });
    });
    detailsKeys(live).forEach(function (key, details) {
      if (details.open) {
        kept.open.add(key);
      }
    });
    if (active && active.id && live.contains(active) && active.form !== requester) {
      kept.focus = { id: active.id, start: active.selectionStart, end: active.selectionEnd };
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    var live = document.getElementById(LIVE);
    if (!kept || !live) {
      return;
    }
    var restore = kept;
    kept = null;
    live.querySelectorAll("form").forEach(function (form) {
      var saved = restore.forms.get(formKey(form));
      if (!saved) {
        return;
      }
      saved.values.forEach(function (pair) {
        var field = form.elements[pair[0]];
        if (field) {
          field.value = pair[1];
        }
      });
      if (saved.refused) {
        form.setAttribute("data-refused", "");
      }
      mark(form);
    });
    detailsKeys(live).forEach(function (key, details) {
      if (restore.open.has(key) || details.querySelector("form[data-unsaved]")) {
        details.open = true;
      }
    });
    if (restore.focus) {
      var field = document.getElementById(restore.focus.id);
      if (field) {
        field.focus({ preventScroll: true });
        if (typeof restore.focus.start === "number" && field.setSelectionRange) {
          try {
            field.setSelectionRange(restore.focus.start, restore.focus.end);
          } catch (ignored) {
            // a field without a text selection (a number, a select)
          }
        }
      }
    }
  });
})();
