"""How a report comes in: the form's steps, receipts, the reporter's mailbox and
the external channels a reporter is told about."""
