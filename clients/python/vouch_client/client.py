"""A thin client of vouchd's Verification and Provider services."""

import grpc

from vouch.v1 import provider_pb2, provider_pb2_grpc, verification_pb2, verification_pb2_grpc
from vouch_client.errors import decode_error
from vouch_client.passport import passport_data_json


class VouchClient:
    """Calls vouchd. Every failed call raises a decoded VouchError.

    target: "host:port"; api_key: the relying service's key (sent as
    "authorization: Bearer KEY"); root_certificates: PEM bytes to verify
    vouchd's TLS certificate (None with insecure=True: plaintext, loopback
    only).
    """

    def __init__(self, target, api_key=None, root_certificates=None, insecure=False,
                 timeout=60.0):
        if insecure:
            self._channel = grpc.insecure_channel(target)
        else:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self._channel = grpc.secure_channel(target, creds)
        self._metadata = (("authorization", "Bearer " + api_key),) if api_key else ()
        self._timeout = timeout
        self.verification = verification_pb2_grpc.VerificationStub(self._channel)
        self.provider = provider_pb2_grpc.ProviderStub(self._channel)

    def close(self):
        self._channel.close()

    def _call(self, method, request, timeout=None):
        try:
            return method(request, metadata=self._metadata, timeout=timeout or self._timeout)
        except grpc.RpcError as e:
            raise decode_error(e) from None

    def provider_info(self, policy=""):
        """vouch.v1.ProviderInfo: the Passport key(s) and the scope to request."""
        return self._call(self.provider.GetProviderInfo,
                          provider_pb2.GetProviderInfoRequest(policy=policy))

    def verify(self, passport_data, files, nonce, telegram_user_id, policy="",
               idempotency_key=""):
        """Verify: PassportData (dict, JSON or framework object) and its files."""
        request = verification_pb2.VerifyRequest(
            passport_data_json=passport_data_json(passport_data), nonce=nonce, policy=policy,
            telegram_user_id=telegram_user_id, idempotency_key=idempotency_key)
        request.files.extend(files)
        return self._call(self.verification.Verify, request)

    def watch(self, verification_id, until_decided=True, timeout=None):
        """Yields the verification's states until it is decided (WatchVerification)."""
        request = verification_pb2.WatchVerificationRequest(verification_id=verification_id,
                                                             until_decided=until_decided)
        try:
            for result in self.verification.WatchVerification(request, metadata=self._metadata,
                                                              timeout=timeout):
                yield result
        except grpc.RpcError as e:
            raise decode_error(e) from None
