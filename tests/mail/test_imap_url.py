"""IMAP_URL: plain imap:// only to this machine; elsewhere imaps:// or STARTTLS, or one line naming IMAP_URL."""
import pytest

from collection.mail.imap import ImapError, parse_imap_url
from collection.mail.services import FetchMail


@pytest.mark.parametrize("url", ["imap://foi:pw@127.0.0.1:1143/INBOX", "imap://foi:pw@localhost/INBOX",
                                 "imap://foi:pw@[::1]:1143/INBOX"])
def test_plain_imap_is_accepted_on_this_machine(url):
    config = parse_imap_url(url)
    assert not config.use_ssl and not config.starttls


def test_plain_imap_to_another_host_is_refused_naming_the_setting():
    with pytest.raises(ImapError, match=r"^IMAP_URL: imap:// to mail\.example\.org would send the password in clear"):
        parse_imap_url("imap://foi:pw@mail.example.org/INBOX")


def test_imaps_and_starttls_are_accepted_anywhere():
    assert parse_imap_url("imaps://foi:pw@mail.example.org/INBOX").use_ssl
    config = parse_imap_url("imap+starttls://foi:pw@mail.example.org/INBOX")
    assert config.starttls and config.port == 143 and not config.use_ssl


def test_the_poller_reports_an_unsafe_url_in_one_line_without_the_password(db):
    result = FetchMail("imap://foi:password@mail.example.org/INBOX").execute()
    assert result.error.startswith("IMAP_URL: imap:// to mail.example.org") and "foi:password@" not in result.line()
