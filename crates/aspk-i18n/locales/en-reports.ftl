# Reports (English).
report-gross = Gross sales
report-refunds = Refunds
report-col-gross = Gross, { $currency }
report-col-refunds = Refunds, { $currency }
report-col-net = Net, { $currency }
report-col-day = Day
report-col-product = Ticket type
report-col-channel = Channel
report-col-method = Payment method
report-col-cashier = Cashier
report-col-slot = Slot (date and time)
report-total-row = Total
report-used-refunds = Refunds of tickets already used: { $tickets } tickets, { $amount }
report-note-times = Sales count by the time of the order, refunds by the time the money was paid back. In a shift (Z) report a refund counts in the shift of whoever paid it back.
report-note-tables = Tickets are those sold and not cancelled. Net = gross − refunds; every table's net adds up to the same total.
report-note-methods = A mixed payment counts its order under each method with its amount, and the order's tickets under the method that paid the larger part.
report-downloads = Download
report-csv = CSV (semicolons)
report-csv-comma = CSV (commas)
report-xlsx = Excel (XLSX, all tables)
report-legend = Legend
report-reason-other = other reason
