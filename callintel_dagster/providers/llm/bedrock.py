"""AWS Bedrock Runtime Converse through boto3: one attempt per `complete` (botocore retries off).

Bedrock has no response_format: the caller's prompt carries the schema between `<json_schema>`
markers and asks for JSON. Credentials come from the tenant's named variables when given, else
boto3's default chain.
"""

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from callintel_dagster.lib.tenants.llm_config import BedrockLlm
from callintel_dagster.providers.http import retry_after_from
from callintel_dagster.providers.llm.base import (
    Completion,
    PermanentLlmError,
    RetryableLlmError,
    scrub,
)
from callintel_dagster.providers.secrets import optional_secret

PROVIDER = "bedrock"
RETRYABLE_CODES = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "ModelTimeoutException",
    "InternalServerException",
    "ModelNotReadyException",  # 429: the model is being loaded; the SDK retries it
}
PERMANENT_CODES = {"ValidationException", "AccessDeniedException", "ResourceNotFoundException"}


class BedrockChatClient:
    """One boto3 `bedrock-runtime` client (boto3 clients are thread-safe; the session is not
    shared with anything else)."""

    provider = PROVIDER

    def __init__(
        self,
        tenant_id: str,
        config: BedrockLlm,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ):
        self.tenant_id, self.model = tenant_id, config.model
        self._secrets = tuple(s for s in (access_key_id, secret_access_key) if s)
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=config.region,
        )
        self._client = session.client(
            "bedrock-runtime",
            region_name=config.region,
            endpoint_url=config.endpoint_url,
            config=Config(
                # one attempt: botocore's `max_attempts` counts RETRIES (1 would mean two tries)
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=min(config.timeout_s, 10.0),
                read_timeout=config.timeout_s,
                max_pool_connections=max(32, 2 * config.max_concurrency),
            ),
        )

    def complete(
        self, system: str, user: str, json_schema: dict, schema_name: str, max_tokens: int
    ) -> Completion:
        try:
            reply = self._client.converse(
                modelId=self.model,
                system=[{"text": system}],
                messages=[{"role": "user", "content": [{"text": user}]}],
                inferenceConfig={"maxTokens": max_tokens, "temperature": 0},
            )
        except ClientError as exc:
            raise self._client_error(exc, sent=f"{system}\n{user}") from None
        except (ReadTimeoutError, ConnectTimeoutError):
            raise self._retryable("no answer in time") from None
        except (EndpointConnectionError, ConnectionClosedError) as exc:
            raise self._retryable(f"connection failed: {type(exc).__name__}") from None
        except NoCredentialsError:
            raise PermanentLlmError(
                self.tenant_id, PROVIDER, "no AWS credentials (set access_key_id_env)"
            ) from None
        except BotoCoreError as exc:  # e.g. a response botocore could not parse
            raise self._retryable(f"{type(exc).__name__}") from None
        return self._completion(reply)

    def close(self) -> None:
        self._client.close()

    def _completion(self, reply: dict) -> Completion:
        output = reply.get("output") if isinstance(reply, dict) else None
        message = output.get("message") if isinstance(output, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            raise self._retryable("the response envelope has no output message")
        text = "".join(str(b["text"]) for b in content if isinstance(b, dict) and "text" in b)
        usage = reply.get("usage") or {}
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("inputTokens") or 0),
            completion_tokens=int(usage.get("outputTokens") or 0),
            model=self.model,  # Converse does not echo the model
        )

    def _client_error(self, exc: ClientError, sent: str = "") -> Exception:
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = str(error.get("Code") or "")
        status = meta.get("HTTPStatusCode")
        detail = scrub(str(error.get("Message") or ""), self._secrets, sent=sent)
        message = f"model {self.model}: {code or 'HTTP ' + str(status)}: {detail}"
        retryable = code in RETRYABLE_CODES or (
            code not in PERMANENT_CODES
            and isinstance(status, int)
            and (status == 429 or status >= 500)
        )
        if retryable:
            retry_after = retry_after_from(meta.get("HTTPHeaders") or {})
            return RetryableLlmError(self.tenant_id, PROVIDER, message, retry_after, code or None)
        return PermanentLlmError(
            self.tenant_id, PROVIDER, message, status=status, code=code or None
        )

    def _retryable(self, message: str) -> RetryableLlmError:
        return RetryableLlmError(self.tenant_id, PROVIDER, f"model {self.model}: {message}")


def client_for(tenant_id: str, config: BedrockLlm) -> BedrockChatClient:
    """The registry's factory: explicit keys when tenants.yaml names both variables, boto3's
    default credential chain when it names neither."""
    names = (config.access_key_id_env, config.secret_access_key_env)
    if any(names) and not all(names):
        raise PermanentLlmError(
            tenant_id,
            PROVIDER,
            "set both access_key_id_env and secret_access_key_env, or neither "
            "(boto3's default credential chain)",
        )
    key_id, key = (optional_secret(tenant_id, PROVIDER, n, PermanentLlmError) for n in names)
    return BedrockChatClient(tenant_id, config, key_id, key)
