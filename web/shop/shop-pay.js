// Sends the payment provider's form on at once; without scripts the visitor presses
// "Continue to payment" instead.
const form = document.querySelector('form[data-auto-submit]');
if (form) form.submit();
