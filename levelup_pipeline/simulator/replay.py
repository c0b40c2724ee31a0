"""Build a `World` from a directory of captured responses (`serve --from-dir DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

from levelup_pipeline.simulator.world import SimPlayer, World, unwrap


def load_replay_world(directory: str | Path) -> World:
    """World of `DIR/matches/*.json` (+ optional `DIR/skill/{id}.json`, `DIR/users.json`).

    Histories are derived from the matches each XUID appears in; whatever the directory lacks
    (profiles, skill, films, assets) is answered 404, as the real API does for unknown things.
    Stats bodies are served byte for byte as stored.
    """
    root = Path(directory)
    world = World()
    for path in sorted((root / "matches").glob("*.json")):
        raw = path.read_bytes()
        body = json.loads(raw)
        body_id = str(body["MatchId"]).lower()
        body["MatchId"] = body_id
        world.add_match(body, raw)
    skill_dir = root / "skill"
    if skill_dir.is_dir():
        for path in sorted(skill_dir.glob("*.json")):
            world.raw_skill[path.stem.lower()] = json.loads(path.read_text(encoding="utf-8"))
    users = root / "users.json"
    if users.is_file():
        for entry in json.loads(users.read_text(encoding="utf-8")):
            xuid = int(str(entry["xuid"]).removeprefix("xuid(").removesuffix(")"))
            world.players.append(SimPlayer(entry["gamertag"], xuid))
            world.gamertags[xuid] = entry["gamertag"]
    named = {p.xuid for p in world.players}
    for body in world.matches.values():
        for player in body["Players"]:
            xuid = unwrap(player["PlayerId"])
            if xuid is not None and xuid not in named:
                named.add(xuid)
    return world
