"""v1 telegram ingest over HTTP: 4 dataloggers posting DSMR 5 telegrams as fast as they are answered.

Each of the 4 keep-alive connections (wrk, pinned to the second CPU) is one site's datalogger
posting form-encoded telegrams with distinct, increasing timestamps one second apart and a correct
CRC, which the server checks. Afterwards every telegram answered 201 must be readable back through
the v2 API. Target: >= 1,000 telegrams/s; p50/p99 latency and server memory are reported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

import _common as c

TARGET_PER_S = 1_000
CLIENTS = 4  # the brief's load; --clients changes it
# Readings start here, one second apart; a window without a DST change, so wrk's script can use a
# fixed UTC offset (checked below).
START = int(datetime(2026, 1, 5, tzinfo=ZoneInfo(c.TIMEZONE)).timestamp())
PATH = "/api/v1/datalogger/dsmrreading"


def lua_literal(s: str) -> str:
    """A Lua string literal of the (latin-1) text."""
    return (
        '"' + "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else f"\\{ord(ch):03d}" for ch in s) + '"'
    )


def wrk_script(template: list[str], keys: list[str], *, offset_s: int, flag: str) -> str:
    """A wrk script in which thread i is site i's datalogger, posting readings 1, 2, … of the model."""
    raw = ", ".join(lua_literal(p) if i % 2 == 0 else "false" for i, p in enumerate(template))
    enc = ", ".join(lua_literal(c.form_encode(p)) if i % 2 == 0 else "false" for i, p in enumerate(template))
    fields = ", ".join(lua_literal(p) if i % 2 else "false" for i, p in enumerate(template))
    base = ", ".join(f"{name} = {value}" for name, value in c.BASE.items())
    step = ", ".join(f"{name} = {value}" for name, value in c.STEP_WH.items())
    return f"""
local bit = require("bit")
local RAW, ENC, FIELD = {{{raw}}}, {{{enc}}}, {{{fields}}}
local KEYS = {{{", ".join(lua_literal(k) for k in keys)}}}
local BASE, STEP = {{{base}}}, {{{step}}}
local START, OFFSET, FLAG = {START}, {offset_s}, "{flag}"
local GAS_BASE, GAS_STEP = {c.GAS_BASE_DM3}, {c.GAS_STEP_DM3}
local GAS_EVERY, GAS_EPOCH = {c.GAS_EVERY_S}, {c.GAS_EPOCH}

local CRC = {{}}
for i = 0, 255 do
  local v = i
  for _ = 1, 8 do
    if bit.band(v, 1) == 1 then v = bit.bxor(bit.rshift(v, 1), 0xA001) else v = bit.rshift(v, 1) end
  end
  CRC[i] = v
end
local function crc16(s, crc)
  for i = 1, #s do
    crc = bit.bxor(bit.rshift(crc, 8), CRC[bit.band(bit.bxor(crc, s:byte(i)), 0xFF)])
  end
  return crc
end
local function fixed3(v, width)
  return string.format("%0" .. width .. "d.%03d", math.floor(v / 1000), v % 1000)
end
local function meter_time(t) return os.date("!%y%m%d%H%M%S", t + OFFSET) .. FLAG end

local threads, made = {{}}, 0
function setup(thread)
  made = made + 1
  thread:set("key", KEYS[made])
  table.insert(threads, thread)
end

function init(args)
  n, created, refused, first_refusal = 0, 0, 0, nil
  wrk.headers["X-AUTHKEY"] = key
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  n = n + 1
  local t = START + n
  local g = t - t % GAS_EVERY
  local v = {{
    ts = meter_time(t),
    import_kw = fixed3(n * 37 % 5000, 2),
    gas_ts = meter_time(g),
    gas = fixed3(GAS_BASE + (g - GAS_EPOCH) / GAS_EVERY * GAS_STEP, 5),
  }}
  for name, b in pairs(BASE) do v[name] = fixed3(b + n * STEP[name], 6) end
  local out, crc = {{"telegram="}}, 0
  for i = 1, #RAW do
    if FIELD[i] then
      local s = v[FIELD[i]]
      crc = crc16(s, crc)
      out[#out + 1] = s
    else
      crc = crc16(RAW[i], crc)
      out[#out + 1] = ENC[i]
    end
  end
  out[#out + 1] = string.format("%04X", crc) .. "%0D%0A"
  return wrk.format("POST", "{PATH}", nil, table.concat(out))
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    refused = refused + 1
    if first_refusal == nil then first_refusal = (status .. " " .. body):gsub('[%c"\\\\]', " ") end
  end
end

function done(summary, latency, requests)
  local created, refused, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    created = created + thread:get("created")
    refused = refused + thread:get("refused")
    first = thread:get("first_refusal") or first
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"created": %d, "refused": %d, "requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "socket_errors": %d, "first_refusal": "%s"}}\\n',
    created, refused, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, first))
end
"""


def run_wrk(script: Path, url: str, seconds: int, clients: int) -> dict[str, Any]:
    """Run wrk (one connection per thread) on the client CPU; its summary line as a dict."""
    command = [
        "wrk",
        f"-t{clients}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url + PATH,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=lambda: c.pin(c.CLIENT_CPU)
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    summary: dict[str, Any] = json.loads(line[6:])
    return summary


def stored_readings(url: str, account_keys: list[str]) -> int:
    """How many readings the sites hold, by DSMR-reader's v2 `count`."""
    total = 0
    for key in account_keys:
        r = httpx.get(f"{url}/api/v2/datalogger/dsmrreading?limit=1", headers={"X-AUTHKEY": key}, timeout=30)
        r.raise_for_status()
        total += int(r.json()["count"])
    return total


def main() -> None:
    parser = c.arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to post (default 60)")
    parser.add_argument(
        "--clients", type=int, default=CLIENTS, help=f"dataloggers, each its own site (default {CLIENTS})"
    )
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install -y wrk): see bench/README.md on why not a Python client")
    c.pin(c.CLIENT_CPU)
    # The script writes local time as UTC + a fixed offset: the run must not cross a DST change.
    zone = ZoneInfo(c.TIMEZONE)
    # (at most 5,000 telegrams a second per client, far more than one core of server takes)
    first, last = (
        datetime.fromtimestamp(START, zone),
        datetime.fromtimestamp(START + args.seconds * 5_000, zone),
    )
    if first.utcoffset() != last.utcoffset():
        sys.exit("--seconds is too long for the DST-free window of timestamps")
    offset_s = int(first.utcoffset().total_seconds())  # type: ignore[union-attr]
    flag = "S" if first.dst() else "W"

    with tempfile.TemporaryDirectory(prefix="meterhub-bench-") as tmp:
        workdir = Path(tmp)
        url = c.database_url(args.database_url, workdir)
        report = c.Report(f"ingest_v1: v1 telegrams over HTTP, {args.clients} keep-alive clients", url)
        template = c.telegram_template()
        p = c.open_platform(url, workdir)
        accounts = [c.make_account(p, email=f"logger{i}@bench.invalid") for i in range(args.clients)]
        p.close()
        keys = [a.key for a in accounts]
        script = workdir / "telegrams.lua"
        script.write_text(wrk_script(template, keys, offset_s=offset_s, flag=flag), encoding="latin-1")

        with c.null_server(workdir) as null:
            capacity = run_wrk(script, null.url, 3, args.clients)
        report.figure(
            "client capacity (null server)",
            f"{capacity['requests'] / capacity['duration_us'] * 1e6:,.0f} req/s",
        )

        with c.meterhub_server(url, workdir) as server:
            # Reading 0 of each site from Python: proves the model and registers the meters.
            telegram = c.render(template, c.reading_values(0, START))
            for key in keys:
                r = httpx.post(server.url + PATH, data={"telegram": telegram}, headers={"X-AUTHKEY": key})
                if r.status_code != 201:
                    sys.exit(f"the first telegram was refused: {r.status_code} {r.text}")
            cpu_before = server.cpu_seconds()
            with c.profiled(server.proc.pid, args.profile):
                result = run_wrk(script, server.url, args.seconds, args.clients)
            user, system = (b - a for a, b in zip(cpu_before, server.cpu_seconds(), strict=True))
            memory = server.memory_kb()
            stored = stored_readings(server.url, keys) - len(keys)

        created, seconds = int(result["created"]), int(result["duration_us"]) / 1e6
        report.figure("telegrams posted / answered 201", f"{result['requests']:,} / {created:,}")
        report.target("throughput", created / seconds, "telegrams/s", at_least=TARGET_PER_S)
        report.figure(
            "latency p50 / p99 / max",
            " / ".join(f"{result[k] / 1000:.2f}" for k in ("p50_us", "p99_us", "max_us")) + " ms",
        )
        report.figure(
            "server CPU busy (of one core)",
            f"{(user + system) / seconds:.0%} (user {user / seconds:.0%}, system {system / seconds:.0%})",
        )
        report.figure(
            "server memory peak / at end", f"{memory['VmHWM'] / 1024:.0f} / {memory['VmRSS'] / 1024:.0f} MiB"
        )
        report.figure("readings stored (v2 count)", f"{stored:,}")
        if result["refused"] or result["socket_errors"]:
            report.fail(
                f"{result['refused']} refused, {result['socket_errors']} socket errors; "
                f"first refusal: {result['first_refusal']}"
            )
        # wrk may stop with a telegram in flight per connection: stored but its 201 never read.
        if not created <= stored <= created + args.clients:
            report.fail(f"{created:,} telegrams were accepted but {stored:,} readings are stored")
        report.exit()


if __name__ == "__main__":
    main()
