"""Receiving forces' e-mail: read it, match it to a request, say what it means, act on it.

Pure modules (no Django): `parse` (bytes -> ParsedMessage), `attachments` (size limits, zips,
flags), `html` (HTML to text and tables), `reading` (what kind of message it is, and the words
that decided it), `matching` (which request it belongs to, and why), `imap` (the IMAP client),
`sources` (.eml, folders, mbox, Maildir, .msg). The Django side: `services` (store, match, read
and suggest; accept suggestions), `tasks`, `admin`.
"""
