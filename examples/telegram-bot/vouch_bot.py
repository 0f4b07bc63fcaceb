#!/usr/bin/python3
"""An example relying bot: Telegram Passport verified by vouch.

Debian 12: apt install python3-python-telegram-bot python3-grpcio
python3-protobuf (python-telegram-bot 13.15), and the Python client generated
by vouch's build on PYTHONPATH (<build>/clients/python). See README.md and
docs/telegram.md for the whole path, and the common failures.

The flow:
  /start           a fresh nonce and a button that opens the Passport form,
                   with vouch's public key and the scope vouch asks for
                   (Provider.GetProviderInfo)
  passport_data    every file downloaded with getFile, then Verify (files
                   keyed by file_id); the user gets the decision:
                     VERIFIED      done
                     REJECTED      setPassportDataErrors with errors_json, and
                                   what to fix
                     NEEDS_REVIEW  "a person checks it", and the final
                                   decision later (WatchVerification)

The bot never holds the Passport private key: vouch does. Everything the bot
downloads is still encrypted.
"""

import argparse
import json
import logging
import os
import secrets
import sys
import threading

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import CommandHandler, Filters, MessageHandler, Updater

import vouch_client
from vouch.v1 import verification_pb2

log = logging.getLogger("vouch_bot")

VERIFIED = verification_pb2.DECISION_VERIFIED
REJECTED = verification_pb2.DECISION_REJECTED
NEEDS_REVIEW = verification_pb2.DECISION_NEEDS_REVIEW


class _Error(dict):
    """One PassportElementError exactly as vouch wrote it in errors_json
    (python-telegram-bot's set_passport_data_errors calls to_dict())."""

    def to_dict(self):
        return dict(self)


class VouchBot:
    def __init__(self, vouch, policy):
        self.vouch = vouch
        self.policy = policy
        info = vouch.provider_info(policy)
        if not info.passport_keys:
            raise RuntimeError("vouchd returned no Passport key")
        # The first key is the one registered with @BotFather /setpublickey.
        self.public_key = info.passport_keys[0].public_key_pem
        self.scope = info.scope_json
        # user id -> the nonce of that user's open request. A real bot keeps
        # these durably, with an expiry.
        self._nonces = {}
        self._lock = threading.Lock()

    # /start: a fresh nonce per request.
    def start(self, update, context):
        user = update.effective_user
        nonce = secrets.token_urlsafe(24)
        with self._lock:
            self._nonces[user.id] = nonce
        url = vouch_client.passport_request_url(context.bot.id, self.scope, self.public_key,
                                                nonce)
        update.effective_message.reply_text(
            "To verify your identity, share your document with Telegram Passport. "
            "It is encrypted for the verification service; this bot cannot read it.",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Share with Telegram Passport", url=url)]]))

    def on_passport_data(self, update, context):
        message = update.effective_message
        user = update.effective_user
        with self._lock:
            nonce = self._nonces.get(user.id)
        if nonce is None:
            message.reply_text("Please start with /start: that request has expired.")
            return
        bot = context.bot

        def download(file_id):
            return bytes(bot.get_file(file_id).download_as_bytearray())

        try:
            files = vouch_client.collect_files(message.passport_data, download)
            result = self.vouch.verify(message.passport_data, files, nonce, user.id,
                                       policy=self.policy,
                                       idempotency_key="tg-%d-%d" % (user.id,
                                                                     message.message_id))
        except vouch_client.VouchError as e:
            self._on_error(message, e)
            return
        except TelegramError as e:
            # getFile or the download failed (a file too old, the Bot API down).
            log.warning("file download failed: %s", e)
            message.reply_text("Your documents could not be fetched. Please send them again.")
            return
        with self._lock:
            self._nonces.pop(user.id, None)
        self._answer(bot, user.id, result)
        if result.decision == NEEDS_REVIEW:
            threading.Thread(target=self._follow, args=(bot, user.id, result.verification_id),
                             daemon=True).start()

    def _answer(self, bot, user_id, result):
        log.info("verification %s decision %s", result.verification_id,
                 verification_pb2.Decision.Name(result.decision))
        if result.decision == VERIFIED:
            bot.send_message(user_id, "Your identity is verified. Thank you!")
        elif result.decision == REJECTED:
            errors = [_Error(e) for e in json.loads(result.errors_json or "[]")]
            if errors:
                bot.set_passport_data_errors(user_id, errors)
            lines = [e["message"] for e in errors if e.get("message")]
            fix = ("Please fix: " + "; ".join(lines) + ". ") if lines else ""
            bot.send_message(user_id,
                             "The documents could not be verified. " + fix + "Then /start again.")
        elif result.decision == NEEDS_REVIEW:
            bot.send_message(user_id, "A person checks your documents; we will tell you "
                             "the result here.")

    def _follow(self, bot, user_id, verification_id):
        """WatchVerification until a reviewer decides, then tells the user."""
        try:
            last = None
            for state in self.vouch.watch(verification_id, until_decided=True):
                last = state
            if last is not None and last.decision != NEEDS_REVIEW:
                self._answer(bot, user_id, last)
        except vouch_client.VouchError as e:
            log.warning("watching %s failed: %s", verification_id, e)

    @staticmethod
    def _on_error(message, error):
        log.warning("verify failed: %s", error)
        if error.reason == "NONCE_MISMATCH":
            text = "That Passport data was sent for another request. Please /start again."
        elif error.reason == "PASSPORT_UNREADABLE":
            text = ("The Passport data could not be read. Please /start again.")
        elif vouch_client.errors.is_retryable(error):
            text = "The verification service is busy. Please send it again in a minute."
        else:
            text = "The verification failed. Please /start again later."
        message.reply_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vouchd", default="127.0.0.1:50051", help="vouchd host:port")
    parser.add_argument("--policy", default="", help="vouch policy name")
    parser.add_argument("--ca", help="PEM CA of vouchd's TLS certificate")
    parser.add_argument("--insecure", action="store_true",
                        help="plaintext gRPC (vouchd on loopback only)")
    parser.add_argument("--bot-api-url", default="https://api.telegram.org",
                        help="Bot API server (a local telegram-bot-api, or a test server)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Secrets from the environment, never from the command line.
    token = os.environ.get("BOT_TOKEN")
    if not token:
        sys.exit("set BOT_TOKEN (the relying bot's token from @BotFather)")
    root = open(args.ca, "rb").read() if args.ca else None
    vouch = vouch_client.VouchClient(args.vouchd, api_key=os.environ.get("VOUCH_API_KEY"),
                                     root_certificates=root, insecure=args.insecure)
    bot = VouchBot(vouch, args.policy)
    base = args.bot_api_url.rstrip("/")
    updater = Updater(token=token, base_url=base + "/bot", base_file_url=base + "/file/bot")
    dispatcher = updater.dispatcher
    dispatcher.add_handler(CommandHandler("start", bot.start))
    # Updates with passport_data come as messages; filter on it explicitly
    # (a text-only handler never sees them).
    dispatcher.add_handler(MessageHandler(Filters.passport_data, bot.on_passport_data))
    updater.start_polling(timeout=1)
    log.info("polling")
    updater.idle()


if __name__ == "__main__":
    main()
