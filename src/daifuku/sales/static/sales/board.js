/*
 * Deal board (商談ボード): drag a card to another column (SortableJS) → POST to the card's move URL.
 *
 * - The request carries the new stage, the neighbours (after = card above, before = card below), the
 *   version the board was loaded with, and the board's filters (so the answer's totals match the board).
 * - Dropping into a lost column (data-lost) first asks for the reason in a modal; cancelling snaps back.
 * - Any refusal (422 rule, 409 version conflict, 403/404) snaps the card back and shows the message.
 */
(function () {
  "use strict";

  function csrfToken() {
    var raw = document.body.getAttribute("hx-headers");
    try {
      return JSON.parse(raw)["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function showMessage(board, text) {
    var box = document.querySelector("[data-board-message]");
    if (!box) {
      return;
    }
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  function template(selector) {
    var node = document.querySelector(selector);
    return node ? node.innerHTML.trim() : "";
  }

  function snapBack(evt) {
    var item = evt.item;
    var from = evt.from;
    var reference = from.children[evt.oldIndex] || null;
    if (reference === item) {
      return;
    }
    from.insertBefore(item, reference);
  }

  function neighbourId(node) {
    return node && node.getAttribute ? node.getAttribute("data-deal-id") || "" : "";
  }

  function updateTotals(totals) {
    Object.keys(totals || {}).forEach(function (stageId) {
      var column = document.querySelector('[data-stage-id="' + stageId + '"]');
      if (!column) {
        return;
      }
      var t = totals[stageId];
      column.querySelector("[data-total-count]").textContent = t.count;
      column.querySelector("[data-total-amount]").textContent = t.amount;
      column.querySelector("[data-total-weighted]").textContent = t.weighted;
    });
  }

  function post(board, evt, extra) {
    var item = evt.item;
    var column = evt.to.closest("[data-stage-id]");
    var body = new URLSearchParams();
    body.set("stage", column.getAttribute("data-stage-id"));
    body.set("version", item.getAttribute("data-version"));
    body.set("after", neighbourId(item.previousElementSibling));
    body.set("before", neighbourId(item.nextElementSibling));
    Object.keys(extra || {}).forEach(function (key) {
      body.set(key, extra[key]);
    });
    var query = board.getAttribute("data-query");
    var url = item.getAttribute("data-move-url") + (query ? "?" + query : "");
    board.setAttribute("data-busy", "");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
      body: body,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { ok: response.ok, data: data };
          });
      })
      .then(function (result) {
        if (!result.ok) {
          snapBack(evt);
          showMessage(board, result.data.error || template("[data-msg-failed]"));
          return;
        }
        showMessage(board, "");
        item.setAttribute("data-version", result.data.deal.version);
        updateTotals(result.data.totals);
      })
      .catch(function () {
        snapBack(evt);
        showMessage(board, template("[data-msg-failed]"));
      })
      .finally(function () {
        board.removeAttribute("data-busy");
      });
  }

  function askLostReason(board, evt) {
    var modalEl = document.querySelector("[data-lost-modal]");
    var form = modalEl.querySelector("[data-lost-form]");
    var modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
    var decided = false;
    form.reset();
    function onSubmit(event) {
      event.preventDefault();
      var reason = form.querySelector("[name=lost_reason]").value;
      if (!reason) {
        showMessage(board, template("[data-msg-reason-required]"));
        form.querySelector("[name=lost_reason]").classList.add("is-invalid");
        return;
      }
      form.querySelector("[name=lost_reason]").classList.remove("is-invalid");
      decided = true;
      modal.hide();
      post(board, evt, { lost_reason: reason, lost_note: form.querySelector("[name=lost_note]").value });
    }
    function onHidden() {
      form.removeEventListener("submit", onSubmit);
      modalEl.removeEventListener("hidden.bs.modal", onHidden);
      if (!decided) {
        snapBack(evt);
      }
    }
    form.addEventListener("submit", onSubmit);
    modalEl.addEventListener("hidden.bs.modal", onHidden);
    modal.show();
  }

  function onEnd(board, evt) {
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) {
      return;
    }
    showMessage(board, "");
    var column = evt.to.closest("[data-stage-id]");
    if (evt.from !== evt.to && column.hasAttribute("data-lost")) {
      askLostReason(board, evt);
      return;
    }
    post(board, evt, {});
  }

  function init() {
    var board = document.querySelector("[data-board]");
    if (!board || !window.Sortable) {
      return;
    }
    board.querySelectorAll("[data-cards]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        animation: 120,
        draggable: "[data-deal-id]",
        ghostClass: "deal-card-ghost",
        emptyInsertThreshold: 40,
        onEnd: function (evt) {
          onEnd(board, evt);
        },
      });
    });
    board.setAttribute("data-board-ready", "");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
