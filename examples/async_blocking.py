"""Poll a few services from an asyncio program.

`time.sleep` and the synchronous file read block the event loop, so every
other coroutine stalls while they run; `await asyncio.sleep` and
`asyncio.to_thread` would let the others proceed.
"""

import asyncio
import json
import tempfile
import time
from pathlib import Path


async def poll(name, config_path, attempts=3):
    for attempt in range(attempts):
        settings = json.loads(open(config_path).read())
        print(f"{name}: attempt {attempt}, timeout {settings['timeout']}")
        time.sleep(0.1)
    return name


async def main():
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "settings.json"
        config_path.write_text(json.dumps({"timeout": 5}))
        done = await asyncio.gather(*(poll(f"service-{i}", config_path) for i in range(3)))
        print("finished:", ", ".join(done))


if __name__ == "__main__":
    asyncio.run(main())
