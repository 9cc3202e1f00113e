"""Bolna's executions API (provider-contracts.md, seed 000), with its traps switched on.

- A share of list records (`trim_share`) come back trimmed to id, status, duration and
  created_at, so a client must fetch the details by id.
- Executions carry their duration as `conversation_duration` or as `conversation_time`.
- `extracted_data` comes free-form or nested per category, per agent.
- `call-disconnected` executions have null duration, cost, recording and extraction until
  `advance()` completes them, as Bolna does seconds after the call.
Lists are newest first (UNCONFIRMED upstream), so an execution created while a client pages shifts
the pages: clients must dedupe by id.
"""

import hashlib
import io
import random
import uuid
import wave
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulators.base import Emulator, Request, Response

MAX_PAGE_SIZE = 50
_NAMES = ("Aarav Shah", "Priya Nair", "Rohan Gupta", "Meera Iyer", "Kabir Singh", "Ananya Rao")
_LINES = (
    (
        "assistant: Hi {first}, this is Maya from Sunrise Homes. Is this a good time?",
        "user: Yes, go ahead.",
    ),
    (
        "assistant: We have 2BHK flats near the metro. Would you like a site visit?",
        "user: Maybe, what is the price?",
    ),
    ("assistant: It starts at 85 lakh. Shall I book Saturday 11 am?", "user: Okay, book it."),
)


def _silent_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A valid 8 kHz mono 16-bit WAV of silence: telephone audio, tiny."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


SILENT_WAV = _silent_wav()


class BolnaEmulator(Emulator):
    name = "bolna"

    def __init__(self, api_key: str = "test-key", trim_share: float = 0.0, **kw: Any):
        super().__init__(**kw)
        self.api_key, self.trim_share = api_key, trim_share
        self.agents: dict[str, dict] = {}
        self.executions: dict[str, dict] = {}
        self._completions: dict[str, dict] = {}  # what advance() applies to a pending execution
        self.route("GET", "/v2/agent/all", self._list_agents)
        self.route("GET", "/v2/agent/{agent_id}/executions", self._list_executions)
        self.route("GET", "/executions/{execution_id}", self._get_execution)
        # recordings are served here too: nothing a test or the demo fetches leaves 127.0.0.1
        self.route("GET", "/recordings/{name}", lambda request: Response(200, SILENT_WAV))

    # ---- seeding ----

    def add_agent(self, agent_name: str, agent_id: str | None = None, **fields: Any) -> dict:
        stamp = _iso(datetime(2024, 1, 1, tzinfo=UTC))
        agent = {
            "id": agent_id or str(uuid.uuid4()),
            "agent_name": agent_name,
            "agent_type": "other",
            "agent_status": "processed",
            "created_at": stamp,
            "updated_at": stamp,
            **fields,
        }
        self.agents[agent["id"]] = agent
        return agent

    def add_execution(
        self, agent_id: str, created_at: datetime, completion: dict | None = None, **fields: Any
    ) -> dict:
        """A completed outbound call unless `fields` say otherwise; `completion` is what a later
        `advance()` merges in (for executions seeded as `call-disconnected`)."""
        exec_id = fields.pop("id", None) or str(uuid.uuid4())
        telephony = {
            "duration": "42",
            "to_number": "+919800000000",
            "from_number": "+918000000001",
            "recording_url": f"{self.base_url}/recordings/{exec_id}.wav",
            "provider_call_id": f"CA{exec_id.replace('-', '')[:16]}",
            "call_type": "outbound",
            "provider": "twilio",
            "hangup_by": "Caller",
            "hangup_reason": "Normal Hangup",
            "ring_duration": 7,
            **fields.pop("telephony_data", {}),
        }
        execution = {
            "id": exec_id,
            "agent_id": agent_id,
            "batch_id": None,
            "total_cost": 14.9,
            "status": "completed",
            "error_message": None,
            "answered_by_voice_mail": False,
            "transcript": "assistant: Hello!\nuser: Hi.\n",
            "created_at": _iso(created_at),
            "updated_at": _iso(created_at + timedelta(seconds=90)),
            "cost_breakdown": {"llm": 4.2, "network": 1.2, "platform": 2.0, "synthesizer": 6.8},
            "telephony_data": telephony,
            "extracted_data": {"user_interested": True},
            "context_details": {"recipient_data": {}},
            **fields,
        }
        if not any(k in execution for k in ("conversation_duration", "conversation_time")):
            execution["conversation_duration"] = 42.3
        self.executions[exec_id] = execution
        if completion is not None:
            self._completions[exec_id] = completion
        return execution

    def advance(self, execution_id: str, **changes: Any) -> dict:
        """Move an execution on, as Bolna does after the call: the seeded completion (if any) and
        then `changes` are merged in; telephony_data merges key by key."""
        execution = self.executions[execution_id]
        for patch in (self._completions.pop(execution_id, {}), changes):
            for key, value in patch.items():
                if key == "telephony_data":
                    execution["telephony_data"] = {**execution["telephony_data"], **value}
                else:
                    execution[key] = value
        updated = _parse(execution["updated_at"]) + timedelta(seconds=30)
        execution["updated_at"] = _iso(updated)
        return execution

    def populate(
        self, day: date, tz_offset_minutes: int = 330, n: int = 40, seed: int = 0, agents: int = 2
    ) -> list[dict]:
        """`n` executions spread over the local `day` (UTC offset in minutes), across `agents`
        agents: agent 0 extracts free-form data, agent 1 nested per category."""
        rng = random.Random(seed)
        ids = [
            self.add_agent(f"Agent {i}", agent_id=f"agent-{seed}-{i}")["id"] for i in range(agents)
        ]
        start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(
            minutes=tz_offset_minutes
        )
        made = []
        for i in range(n):
            created = start + timedelta(seconds=rng.randrange(86400))
            made.append(self._random_execution(rng, ids[i % agents], i % agents, created, seed, i))
        return made

    def _random_execution(
        self, rng: random.Random, agent_id: str, kind: int, created: datetime, seed: int, i: int
    ) -> dict:
        name = rng.choice(_NAMES)
        number = f"98{rng.randrange(10**8):08d}"
        inbound = rng.random() < 0.25
        customer = _styled(rng, number)
        tel = {
            "call_type": "inbound" if inbound else "outbound",
            "to_number": "+918000000001" if inbound else customer,
            "from_number": customer if inbound else "+918000000001",
        }
        status = rng.choices(
            ("completed", "voicemail", "no-answer", "busy", "failed", "call-disconnected"),
            (60, 8, 12, 6, 4, 10),
        )[0]
        talked = status in ("completed", "voicemail", "call-disconnected")
        seconds = round(rng.uniform(20, 240), 1) if talked else 0.0
        # the schema's name and the examples' name, mixed within one agent as well
        duration_key = rng.choice(("conversation_duration", "conversation_time"))
        final = {
            duration_key: seconds,
            "total_cost": round(seconds * 0.35, 2),
            "transcript": _transcript(rng, name)
            if status in ("completed", "call-disconnected")
            else "",
            "extracted_data": _extracted(rng, name, kind) if talked else None,
            "telephony_data": {
                "duration": str(int(seconds)),
                "recording_url": f"{self.base_url}/recordings/{seed}-{i}.wav" if talked else None,
            },
        }
        fields: dict = {
            "id": f"exec-{seed}-{i:04d}",
            "status": "completed" if status == "voicemail" else status,
            "answered_by_voice_mail": status == "voicemail",
            **final,
            "telephony_data": {**tel, **final["telephony_data"]},
        }
        completion = None
        if status == "call-disconnected":  # post-call data not there yet
            completion = {**final, "status": "completed"}
            fields |= {duration_key: None, "total_cost": None, "extracted_data": None}
            fields["cost_breakdown"] = None
            fields["telephony_data"] = {**tel, "duration": None, "recording_url": None}
        return self.add_execution(agent_id, created, completion=completion, **fields)

    # ---- routes ----

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response(403, {"detail": "Invalid API key or insufficient permissions"})
        return None

    def _list_agents(self, request: Request) -> Response:
        return self._denied(request) or Response(200, list(self.agents.values()))

    def _list_executions(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        agent_id = request.params["agent_id"]
        if agent_id not in self.agents:
            return Response(404, {"detail": f"agent {agent_id} not found"})
        q = request.query
        try:
            page, size = int(q.get("page_number", 1)), int(q.get("page_size", 20))
            low, high = (_parse(q[k]) if q.get(k) else None for k in ("from", "to"))
        except ValueError as exc:
            return Response(422, {"detail": f"invalid parameter: {exc}"})
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return Response(422, {"detail": f"page_number >= 1, 1 <= page_size <= {MAX_PAGE_SIZE}"})
        rows = [
            e
            for e in self.executions.values()
            if e["agent_id"] == agent_id
            and (low is None or _parse(e["created_at"]) >= low)
            and (high is None or _parse(e["created_at"]) <= high)
            and q.get("status") in (None, e["status"])
            and q.get("call_type") in (None, (e.get("telephony_data") or {}).get("call_type"))
        ]
        rows.sort(key=lambda e: e["created_at"], reverse=True)
        chunk = rows[(page - 1) * size : page * size]
        return Response(
            200,
            {
                "page_number": page,
                "page_size": size,
                "total": len(rows),
                "has_more": page * size < len(rows),
                "data": [self._listed(e) for e in chunk],
            },
        )

    def _get_execution(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        execution = self.executions.get(request.params["execution_id"])
        if execution is None:
            return Response(404, {"detail": "execution not found"})
        return Response(200, deepcopy(execution))

    def is_trimmed(self, execution_id: str) -> bool:
        """Stable per id, so a test can tell which records the client had to fetch by id."""
        digest = int(hashlib.sha256(execution_id.encode()).hexdigest()[:8], 16)
        return digest / 0xFFFFFFFF < self.trim_share

    def _listed(self, execution: dict) -> dict:
        if not self.is_trimmed(execution["id"]):
            return deepcopy(execution)
        keep = ("id", "status", "conversation_duration", "conversation_time", "created_at")
        return {k: execution[k] for k in keep if k in execution}


def _styled(rng: random.Random, number: str) -> str:
    """An Indian mobile the way dialers and forms write it."""
    return rng.choice(
        (f"+91{number}", f"91{number}", f"0{number}", number, f"+91 {number[:5]} {number[5:]}")
    )


def _transcript(rng: random.Random, name: str) -> str:
    pairs = _LINES[: rng.randint(1, len(_LINES))]
    return "".join(f"{a.format(first=name.split()[0])}\n{u}\n" for a, u in pairs)


def _extracted(rng: random.Random, name: str, kind: int) -> dict:
    booked, interested = rng.random() < 0.3, rng.random() < 0.6
    if kind == 0:  # free-form
        return {"name": name, "user_interested": interested, "appointment_booked": booked}
    category = {
        "confidence": round(rng.uniform(0.5, 1.0), 2),
        "confidence_label": "high",
        "reasoning_subjective": "from the conversation",
        "reasoning_objective": "from the conversation",
        "validation": "ok",
    }
    return {
        "customer_name": {**category, "subjective": name, "objective": None},
        "user_interested": {
            **category,
            "subjective": "yes" if interested else "no",
            "objective": interested,
        },
        "appointment_booked": {**category, "subjective": None, "objective": booked},
    }


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive means UTC here
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
