# English interface text.
ticket-title = Ticket
ticket-category = Category
ticket-time = Visit time
ticket-valid-days = Valid
ticket-price = Price
ticket-order = Order
ticket-number = Ticket number
ticket-document = Show at entry: { $document }
ticket-footer = Valid for one entry. Do not fold the QR code.
seats-left = { $count ->
    [one] { $count } seat
   *[other] { $count } seats
}
sign-in-title = Staff sign-in
sign-in-username = User name
sign-in-password = Password
sign-in-submit = Sign in
sign-in-failed = Wrong user name or password
sign-out = Sign out
nav-box-office = Box office
nav-orders = Orders
nav-requests = Requests
nav-reports = Reports
nav-status = System status
nav-scan = Scanner
language-switch = Українська
status-role = Node role
status-ops = Operations in the log
status-pending = Waiting to be sent
status-findings = Open findings
status-store = Storage
status-store-ok = working
status-store-stalled = writes failing, retrying
page-coming = This section is coming soon. The API already works: see /api/openapi.json.
