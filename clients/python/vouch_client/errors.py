"""Decoding vouchd's errors: google.rpc.Status details in grpc-status-details-bin."""

import grpc

from google.rpc import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"


class VouchError(Exception):
    """A failed vouchd call, decoded.

    code: the grpc.StatusCode; reason: ErrorInfo.reason (e.g. NONCE_MISMATCH,
    PASSPORT_UNREADABLE, OVERLOADED); metadata: ErrorInfo.metadata;
    field_violations: [(field, description)] of a BadRequest; retry_delay:
    seconds from RetryInfo, or None.
    """

    def __init__(self, code, message, reason="", domain="", metadata=None,
                 field_violations=None, retry_delay=None):
        super().__init__("%s %s: %s" % (code.name if code else "UNKNOWN", reason, message))
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = metadata or {}
        self.field_violations = field_violations or []
        self.retry_delay = retry_delay


def decode_error(rpc_error):
    """A VouchError from a grpc.RpcError (the details, when present, decoded)."""
    code = rpc_error.code() if hasattr(rpc_error, "code") else None
    message = rpc_error.details() if hasattr(rpc_error, "details") else str(rpc_error)
    out = VouchError(code, message or "")
    trailing = rpc_error.trailing_metadata() if hasattr(rpc_error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key != _DETAILS_KEY:
            continue
        status = status_pb2.Status()
        status.ParseFromString(value)
        for any_detail in status.details:
            info = error_details_pb2.ErrorInfo()
            bad = error_details_pb2.BadRequest()
            retry = error_details_pb2.RetryInfo()
            if any_detail.Is(info.DESCRIPTOR):
                any_detail.Unpack(info)
                out.reason, out.domain = info.reason, info.domain
                out.metadata = dict(info.metadata)
            elif any_detail.Is(bad.DESCRIPTOR):
                any_detail.Unpack(bad)
                out.field_violations = [(v.field, v.description) for v in bad.field_violations]
            elif any_detail.Is(retry.DESCRIPTOR):
                any_detail.Unpack(retry)
                out.retry_delay = retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
    out.args = ("%s %s: %s" % (code.name if code else "UNKNOWN", out.reason, out.message),)
    return out


def is_retryable(error):
    """Whether the same call (same idempotency key) may be tried again later."""
    return error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED,
                          grpc.StatusCode.ABORTED) and error.reason != "REQUEST_TOO_LARGE"
