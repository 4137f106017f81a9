"""Outgoing e-mail through the SMTP server the instance configures: messages (plain text and
HTML, List-Unsubscribe), the mail queue on the job machine, and its worker. Protocol-level, as
the outbox is: it sends what capabilities (the newsletter) queue."""
