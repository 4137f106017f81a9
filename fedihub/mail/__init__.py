"""Outgoing e-mail through the SMTP server the instance configures: messages (plain text and
HTML, List-Unsubscribe), the mail queue on the job machine, and its worker. Protocol-level, as
the outbox is: it sends what capabilities queue, each purpose of mail composed and settled by
the `Mailer` its capability gives (the newsletter's confirmations and issues; a volunteer's
link and assignments), gathered in fedihub/app.py. It imports no capability."""
