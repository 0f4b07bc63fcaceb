"""Helpers for the Bot API's PassportData, framework-agnostic.

A PassportData may be given as the Bot API JSON (a dict, or the str of it)
or as a framework object with ``to_dict()`` (python-telegram-bot 13).
"""

import json
import urllib.parse

from vouch.v1 import verification_pb2

# The PassportFile fields of an EncryptedPassportElement
# (https://core.telegram.org/bots/api#encryptedpassportelement).
_SINGLE_FILES = ("front_side", "reverse_side", "selfie")
_FILE_LISTS = ("files", "translation")


def _as_dict(passport_data):
    if isinstance(passport_data, (bytes, str)):
        return json.loads(passport_data)
    if isinstance(passport_data, dict):
        return passport_data
    if hasattr(passport_data, "to_dict"):
        return passport_data.to_dict()
    raise TypeError("PassportData must be a dict, JSON text or have to_dict()")


def passport_data_json(passport_data):
    """The PassportData as the JSON text VerifyRequest.passport_data_json takes."""
    return json.dumps(_as_dict(passport_data), separators=(",", ":"))


def passport_file_ids(passport_data):
    """Every file_id the elements reference, in order, without repeats."""
    seen = []
    for element in _as_dict(passport_data).get("data", []):
        for key in _SINGLE_FILES:
            f = element.get(key)
            if f and f.get("file_id") and f["file_id"] not in seen:
                seen.append(f["file_id"])
        for key in _FILE_LISTS:
            for f in element.get(key) or []:
                if f.get("file_id") and f["file_id"] not in seen:
                    seen.append(f["file_id"])
    return seen


def collect_files(passport_data, download):
    """Downloads every file of the PassportData with ``download(file_id) -> bytes``.

    Returns the list of ``vouch.v1.EncryptedFile`` for VerifyRequest.files. With
    python-telegram-bot 13: ``download = lambda fid:
    bytes(bot.get_file(fid).download_as_bytearray())``. The bytes stay
    encrypted: only vouch can open them.
    """
    files = []
    for file_id in passport_file_ids(passport_data):
        content = download(file_id)
        files.append(verification_pb2.EncryptedFile(file_id=file_id, content=bytes(content)))
    return files


def passport_request_url(bot_id, scope_json, public_key_pem, nonce):
    """The tg:// link that opens the Passport form (as the Passport SDK builds it).

    ``scope_json`` and ``public_key_pem`` come from Provider.GetProviderInfo;
    ``nonce`` must be fresh per request and is given to Verify again.
    """
    query = urllib.parse.urlencode(
        {
            "domain": "telegrampassport",
            "bot_id": str(bot_id),
            "scope": scope_json,
            "public_key": public_key_pem,
            "nonce": nonce,
        },
        quote_via=urllib.parse.quote,
    )
    return "tg://resolve?" + query
