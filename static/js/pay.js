// The pay page with Stripe: the card is typed into Stripe.js Elements and tokenized in the
// browser, so its number never reaches the portal. The portal charges the token (/card), the
// bank may ask for 3-D Secure (handled by Stripe.js), and the portal is told the result
// (/return). Stripe's webhook confirms the payment even if this page is closed on the way.
(function () {
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("card-pay");
  var message = document.getElementById("card-message");
  var status = document.getElementById("card-status");
  var attempt = form.querySelector("input[name=attempt]");
  attempt.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  button.disabled = false;

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }
  function working(text) {
    status.textContent = text;
    button.disabled = !!text;
  }
  function post(url, fields) {
    var body = new URLSearchParams();
    body.set("csrf_token", form.querySelector("input[name=csrf_token]").value);
    body.set("email", form.querySelector("input[name=email]").value);
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (res) {
      return res.json().catch(function () { return { status: "refused", message: "The payment could not be completed (HTTP " + res.status + ")." }; });
    });
  }
  function settle(answer) {
    if (answer.status === "paid" || answer.status === "pending") {
      working("Payment received. Loading your receipt…");
      window.location.reload();
      return;
    }
    if (answer.status === "action") {
      working("Your bank asks you to confirm the payment…");
      return stripe.confirmCardPayment(answer.client_secret).then(function (result) {
        if (result.error) {
          working("");
          say((result.error.message || "The payment was not confirmed.") + " Nothing was charged; try again or use another card.");
          return;
        }
        return post(form.getAttribute("data-return"), { reference: answer.reference }).then(settle);
      });
    }
    working("");
    say(answer.message || "The payment could not be completed.");
    // A new attempt for the next try (a declined card may be corrected).
    attempt.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("");
    working("Paying…");
    stripe.createToken(card).then(function (result) {
      if (result.error || !result.token) {
        working("");
        say((result.error && result.error.message) || "Check the card's details.");
        return;
      }
      var method = result.token.card && result.token.card.id ? result.token.card.id : result.token.id;
      return post(form.getAttribute("action"), { payment_method: method, attempt: attempt.value }).then(settle);
    }).catch(function () {
      working("");
      say("The payment service could not be reached. Nothing was charged; try again in a moment.");
    });
  });
})();
