"""Tests of the Python client's helpers and its error decoding over real gRPC."""

import json
import unittest
import urllib.parse
from concurrent import futures

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from vouch.v1 import (provider_pb2, provider_pb2_grpc, verification_pb2,
                      verification_pb2_grpc)

import vouch_client

PASSPORT_DATA = {
    "data": [
        {"type": "personal_details", "data": "AAAA", "hash": "h1"},
        {
            "type": "driver_license",
            "data": "BBBB",
            "front_side": {"file_id": "F1", "file_unique_id": "u1", "file_size": 16, "file_date": 1},
            "reverse_side": {"file_id": "F2", "file_unique_id": "u2", "file_size": 16, "file_date": 1},
            "selfie": {"file_id": "F3", "file_unique_id": "u3", "file_size": 16, "file_date": 1},
            "translation": [{"file_id": "F4", "file_unique_id": "u4", "file_size": 16, "file_date": 1}],
            "hash": "h2",
        },
        {
            "type": "utility_bill",
            "files": [{"file_id": "F5", "file_unique_id": "u5", "file_size": 16, "file_date": 1},
                      {"file_id": "F1", "file_unique_id": "u1", "file_size": 16, "file_date": 1}],
            "hash": "h3",
        },
        {"type": "email", "email": "a@example.org", "hash": "h4"},
    ],
    "credentials": {"data": "CCCC", "hash": "DDDD", "secret": "EEEE"},
}


class PtbLike:
    """What python-telegram-bot 13 objects offer: to_dict()."""

    def to_dict(self):
        return PASSPORT_DATA


class PassportHelpersTest(unittest.TestCase):
    def test_file_ids_in_order_without_repeats(self):
        self.assertEqual(vouch_client.passport_file_ids(PASSPORT_DATA),
                         ["F1", "F2", "F3", "F4", "F5"])
        self.assertEqual(vouch_client.passport_file_ids(json.dumps(PASSPORT_DATA)),
                         ["F1", "F2", "F3", "F4", "F5"])
        self.assertEqual(vouch_client.passport_file_ids(PtbLike()),
                         ["F1", "F2", "F3", "F4", "F5"])

    def test_collect_files_downloads_each_once(self):
        asked = []

        def download(file_id):
            asked.append(file_id)
            return bytearray(b"enc-" + file_id.encode())

        files = vouch_client.collect_files(PASSPORT_DATA, download)
        self.assertEqual(asked, ["F1", "F2", "F3", "F4", "F5"])
        self.assertIsInstance(files[0], verification_pb2.EncryptedFile)
        self.assertEqual(files[4].file_id, "F5")
        self.assertEqual(files[4].content, b"enc-F5")

    def test_passport_data_json_round_trips(self):
        self.assertEqual(json.loads(vouch_client.passport_data_json(PtbLike())), PASSPORT_DATA)
        with self.assertRaises(TypeError):
            vouch_client.passport_data_json(42)

    def test_request_url(self):
        pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
        url = vouch_client.passport_request_url(123, '{"data":["passport"],"v":1}', pem, "n-1")
        self.assertTrue(url.startswith("tg://resolve?domain=telegrampassport&bot_id=123&"))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        self.assertEqual(query["public_key"], [pem])
        self.assertEqual(query["scope"], ['{"data":["passport"],"v":1}'])
        self.assertEqual(query["nonce"], ["n-1"])


def _status_details(reason, retry_seconds=None, violations=()):
    status = status_pb2.Status(code=3, message="m")
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="vouch.dev",
                                          metadata={"k": "v"}))
    status.details.append(info)
    if retry_seconds is not None:
        retry = any_pb2.Any()
        retry.Pack(error_details_pb2.RetryInfo(
            retry_delay=duration_pb2.Duration(seconds=retry_seconds)))
        status.details.append(retry)
    if violations:
        bad = error_details_pb2.BadRequest()
        for field, description in violations:
            bad.field_violations.add(field=field, description=description)
        packed = any_pb2.Any()
        packed.Pack(bad)
        status.details.append(packed)
    return status.SerializeToString()


class FakeVerification(verification_pb2_grpc.VerificationServicer):
    def __init__(self):
        self.requests = []
        self.metadata = []

    def Verify(self, request, context):
        self.requests.append(request)
        self.metadata.append(dict(context.invocation_metadata()))
        if request.nonce == "wrong":
            context.set_trailing_metadata(
                (("grpc-status-details-bin", _status_details("NONCE_MISMATCH")),))
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "nonce differs")
        if request.nonce == "busy":
            context.set_trailing_metadata((("grpc-status-details-bin", _status_details(
                "OVERLOADED", retry_seconds=1, violations=[("files", "too many")])),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "all workers busy")
        return verification_pb2.VerificationResult(verification_id="ver_1",
                                                   decision=verification_pb2.DECISION_VERIFIED)


class FakeProvider(provider_pb2_grpc.ProviderServicer):
    def GetProviderInfo(self, request, context):
        return provider_pb2.ProviderInfo(policy=request.policy or "default",
                                         scope_json='{"data":[],"v":1}')


class ClientOverGrpcTest(unittest.TestCase):
    def setUp(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self.verification = FakeVerification()
        verification_pb2_grpc.add_VerificationServicer_to_server(self.verification, self.server)
        provider_pb2_grpc.add_ProviderServicer_to_server(FakeProvider(), self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.client = vouch_client.VouchClient("127.0.0.1:%d" % port, api_key="k-1",
                                               insecure=True, timeout=10)

    def tearDown(self):
        self.client.close()
        self.server.stop(None)

    def test_verify_sends_the_request_and_the_key(self):
        files = [verification_pb2.EncryptedFile(file_id="F1", content=b"x")]
        result = self.client.verify(PtbLike(), files, "n-1", 42, policy="p",
                                    idempotency_key="idem")
        self.assertEqual(result.decision, verification_pb2.DECISION_VERIFIED)
        request = self.verification.requests[0]
        self.assertEqual(json.loads(request.passport_data_json), PASSPORT_DATA)
        self.assertEqual(request.telegram_user_id, 42)
        self.assertEqual(request.files[0].file_id, "F1")
        self.assertEqual(self.verification.metadata[0]["authorization"], "Bearer k-1")

    def test_errors_are_decoded(self):
        with self.assertRaises(vouch_client.VouchError) as caught:
            self.client.verify(PASSPORT_DATA, [], "wrong", 42)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(caught.exception.reason, "NONCE_MISMATCH")
        self.assertEqual(caught.exception.domain, "vouch.dev")
        self.assertEqual(caught.exception.metadata, {"k": "v"})
        with self.assertRaises(vouch_client.VouchError) as caught:
            self.client.verify(PASSPORT_DATA, [], "busy", 42)
        self.assertEqual(caught.exception.reason, "OVERLOADED")
        self.assertEqual(caught.exception.retry_delay, 1.0)
        self.assertEqual(caught.exception.field_violations, [("files", "too many")])
        self.assertTrue(vouch_client.errors.is_retryable(caught.exception))

    def test_provider_info(self):
        self.assertEqual(self.client.provider_info("bank").policy, "bank")


if __name__ == "__main__":
    unittest.main()
