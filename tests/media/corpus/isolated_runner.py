"""Runs the engine over files in a child process with an address-space limit.

Used by the broken-file tests: a crash, a hang or runaway memory in a decoder shows up as a
missing or failed line for that file instead of taking the test run down.
Prints one JSON object per file, then a summary line with the peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback

ADDRESS_SPACE_LIMIT = 3 << 30  # generous for Python + Pillow; a bomb would need far more


def main(paths: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    from pipeline.media import DEFAULT_RENDITIONS, MediaError, extract_metadata, render

    for path in paths:
        result: dict[str, object] = {"path": path}
        for step in ("metadata", "render"):
            started = time.process_time()
            wall = time.monotonic()
            try:
                if step == "metadata":
                    record = extract_metadata(path)
                    result["size"] = [record["width"], record["height"]]
                    result["frames"] = record["frames"]
                else:
                    outputs = render(path, DEFAULT_RENDITIONS)
                    result["render_sizes"] = sorted({(o.width, o.height) for o in outputs})
                result[step] = "ok"
            except MediaError as exc:
                result[step] = exc.code
                result[f"{step}_message"] = exc.message
            except Exception:
                result[step] = "unhandled"
                result[f"{step}_message"] = traceback.format_exc()
            result[f"{step}_cpu_s"] = round(time.process_time() - started, 3)
            result[f"{step}_wall_s"] = round(time.monotonic() - wall, 3)
        print(json.dumps(result), flush=True)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mib": round(peak_kib / 1024, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
