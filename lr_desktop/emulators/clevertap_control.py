"""The CleverTap emulator's control endpoints under `/_emulator/` (no credentials;
loopback only): `control` serves them, `EmulatorControl` drives an emulator in another
process through them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lr_desktop.emulators.clevertap_settings import Faults
from lr_desktop.emulators.httpserver import Request, Response

if TYPE_CHECKING:
    from lr_desktop.emulators.clevertap import CleverTapEmulator

__all__ = ["EmulatorControl", "control"]


def _fail(status: int, error: str) -> Response:
    return Response(status, {"status": "fail", "error": error, "code": status})


def control(emu: CleverTapEmulator, req: Request) -> Response:
    what = req.path[len("/_emulator/") :].strip("/")
    write = req.method in ("POST", "PUT")
    try:
        body = req.json() if write and req.body else {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        if what.startswith("reads/"):
            return emu.reads.control(what[len("reads/") :], write, body)
        if what == "health":
            return Response(200, {"status": "ok"})
        if what == "stats":
            return Response(200, emu.stats())
        if what == "copies":
            return Response(200, emu.copies(full=req.arg("full") in ("1", "true")))
        if what == "state":
            limit = req.arg("limit")
            return Response(
                200,
                emu.state(req.arg("object_id"), req.arg("account"), int(limit) if limit else None),
            )
        if what == "faults":
            if write:
                emu.faults = Faults.from_dict(body)
            return Response(200, emu.faults.to_dict())
        if what == "config":
            if write:
                with emu._lock:
                    emu.settings.update(body)
            return Response(200, emu.settings.to_dict())
        if what == "reset" and write:
            emu.reset()
            return Response(200, {"status": "ok"})
        if what == "accounts" and write:
            emu.add_account(
                str(body["project_id"]), str(body["passcode"]), str(body.get("token", ""))
            )
            return Response(200, {"status": "ok"})
    except (ValueError, KeyError, TypeError) as exc:
        return _fail(400, f"bad control request: {exc}")
    return _fail(404, f"unknown control endpoint {req.method} {req.path}")


class EmulatorControl:
    """Drive an emulator in another process through its /_emulator/ endpoints."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        import httpx

        self._http = httpx.Client(base_url=url.rstrip("/") + "/_emulator", timeout=timeout)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        resp = self._http.get(path, params={k: v for k, v in params.items() if v is not None})
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        resp = self._http.post(path, json=dict(body or {}))
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def stats(self) -> dict[str, Any]:
        return self._get("/stats")

    def state(self, object_id: str | None = None, limit: int | None = None) -> dict[str, Any]:
        return self._get("/state", object_id=object_id, limit=limit)

    def copies(self, full: bool = False) -> dict[str, Any]:
        return self._get("/copies", full=1 if full else None)

    def set_faults(self, faults: Faults | Mapping[str, Any]) -> dict[str, Any]:
        return self._post("/faults", faults.to_dict() if isinstance(faults, Faults) else faults)

    def configure(self, **settings: Any) -> dict[str, Any]:
        body = {k: sorted(v) if isinstance(v, set | frozenset) else v for k, v in settings.items()}
        return self._post("/config", body)

    def reset(self) -> None:
        self._post("/reset")

    def add_account(self, project_id: str, passcode: str, token: str = "") -> None:
        self._post("/accounts", {"project_id": project_id, "passcode": passcode, "token": token})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
