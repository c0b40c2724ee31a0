"""A deterministic synthetic Halo world: players, sessions of matches, skill, CSR and assets.

The catalogue (maps, modes, playlists) is in `catalog`, one match's players and teams in
`match_body`, the API's value formats in `api_formats`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from levelup_pipeline.simulator import assets
from levelup_pipeline.simulator.api_formats import TIERS, csr_block, iso_duration, iso_time
from levelup_pipeline.simulator.catalog import (
    ADJECTIVES,
    BASE_DATE,
    BTB_MAPS,
    CLEARANCE_ID,
    CUSTOM,
    FIREFIGHT_MAPS,
    GAMERTAGS,
    MAPS,
    MODES,
    NOUNS,
    PLAYLISTS,
    SEASON_ID,
    Playlist,
)
from levelup_pipeline.simulator.match_body import (
    assign_teams,
    durations_to_iso,
    lobby_players,
    team_entries,
)
from levelup_pipeline.simulator.world import SimPlayer, World, parse_time, wrap


@dataclass
class _Asset:
    """Asset reference as the stats API embeds it, plus its discovery body."""

    kind: int
    asset_id: str
    version_id: str

    def ref(self) -> dict[str, Any]:
        """The `{AssetKind, AssetId, VersionId}` reference."""
        return {"AssetKind": self.kind, "AssetId": self.asset_id, "VersionId": self.version_id}


@dataclass
class Generator:
    """Stateful match factory, kept on the world so admin calls continue the same story."""

    rng: random.Random
    world: World
    seed: int
    pool: list[tuple[int, str]] = field(default_factory=list)
    maps: dict[str, tuple[_Asset, str]] = field(default_factory=dict)
    variants: dict[tuple[str, str], _Asset] = field(default_factory=dict)
    pairs: dict[tuple[str, str, str], _Asset] = field(default_factory=dict)
    playlists: dict[str, _Asset] = field(default_factory=dict)
    csr: dict[tuple[int, str], int] = field(default_factory=dict)
    mmr: dict[int, float] = field(default_factory=dict)

    def uid(self) -> str:
        """A deterministic version-4 UUID."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def xuid(self) -> int:
        """A 16-digit XUID in the 2.5e15 range (what spnkr's film parser accepts)."""
        return 2533274790000000 + self.rng.randrange(0, 2_000_000_000_000)

    # ---- assets -------------------------------------------------------------------------
    def build_assets(self) -> None:
        """Create maps, variants, map-mode pairs and playlists and register their bodies."""
        ugc = self.world.ugc
        for name in MAPS + BTB_MAPS + FIREFIGHT_MAPS:
            asset = _Asset(2, self.uid(), self.uid())
            level = self.uid()
            self.maps[name] = (asset, level)
            body = assets.map_body(
                asset.asset_id, asset.version_id, name, self.rng.randrange(-(2**31), 2**31)
            )
            ugc[("maps", asset.asset_id, asset.version_id)] = body
        for playlist in [*PLAYLISTS, CUSTOM]:
            prefix = "Ranked" if playlist.ranked else playlist.name.split()[0]
            pairs = []
            for mode in playlist.modes:
                variant = _Asset(6, self.uid(), self.uid())
                self.variants[(playlist.name, mode)] = variant
                engine = (self.uid(), self.uid(), f"{MODES[mode][1].replace(' ', '')}-Engine")
                vbody = assets.game_variant_body(
                    variant.asset_id, variant.version_id, f"{prefix}:{MODES[mode][1]}", engine
                )
                ugc[("ugcGameVariants", variant.asset_id, variant.version_id)] = vbody
                for map_name in playlist.maps:
                    pair = _Asset(7, self.uid(), self.uid())
                    self.pairs[(playlist.name, mode, map_name)] = pair
                    map_asset = self.maps[map_name][0]
                    mbody = ugc[("maps", map_asset.asset_id, map_asset.version_id)]
                    pbody = assets.map_mode_pair_body(pair.asset_id, pair.version_id, mbody, vbody)
                    ugc[("mapModePairs", pair.asset_id, pair.version_id)] = pbody
                    pairs.append(pbody)
            if not playlist.custom:
                asset = _Asset(3, self.uid(), self.uid())
                self.playlists[playlist.name] = asset
                ugc[("playlists", asset.asset_id, asset.version_id)] = assets.playlist_body(
                    asset.asset_id,
                    asset.version_id,
                    playlist.name,
                    pairs,
                    playlist.team_size,
                    playlist.teams,
                )

    # ---- players ------------------------------------------------------------------------
    def build_pool(self, size: int = 60) -> None:
        """Generated lobby members (humans with profiles but no tracked history)."""
        for i in range(size):
            tag = f"{self.rng.choice(ADJECTIVES)}{self.rng.choice(NOUNS)}{i:02d}"
            xuid = self.xuid()
            self.pool.append((xuid, tag))
            self.world.gamertags[xuid] = tag

    # ---- matches ------------------------------------------------------------------------
    def play(self, start: dt.datetime, fireteam: list[SimPlayer], playlist: Playlist) -> str:
        """Generate one match with `fireteam` in the lobby and register it in the world."""
        rng = self.rng
        mode = rng.choice(playlist.modes)
        category, _, block = MODES[mode]
        map_name = rng.choice(playlist.maps)
        minutes = rng.uniform(6, 15) if mode != "firefight" else rng.uniform(15, 25)
        duration = minutes * 60 + rng.random()
        end = start + dt.timedelta(seconds=duration + rng.uniform(5, 30))
        teams = 8 if mode == "ffa" else playlist.teams
        per_team = 1 if mode == "ffa" else playlist.team_size
        # lobby: (xuid, gamertag or None for bot, bot id)
        humans = [(p.xuid, p.gamertag) for p in fireteam]
        slots = teams * per_team
        with_bots = mode == "firefight" or (playlist.custom and rng.random() < 0.5)
        bots = rng.randint(1, max(1, slots - len(humans))) if with_bots else 0
        if mode == "firefight":
            bots = max(0, per_team - len(humans))
        others = [p for p in self.pool if p[0] not in {h[0] for h in humans}]
        fill = max(0, min(slots, per_team * teams) - len(humans) - bots)
        if playlist.custom and not with_bots:
            fill = rng.randint(min(1, fill), fill)
        humans += rng.sample(others, fill)
        lobby: list[tuple[str, int | None, str | None]] = [(wrap(x), x, t) for x, t in humans]
        lobby += [(f"bid({rng.randrange(1, 99)}.0)", None, None) for _ in range(bots)]
        lobby = list(dict.fromkeys(lobby))  # bot ids may repeat
        team_of = assign_teams(rng, lobby, teams, len(fireteam))
        team_ids = sorted(set(team_of))
        players = lobby_players(rng, lobby, team_of, block, mode, start, duration)
        teams_body = team_entries(rng, players, team_ids, block, mode)
        match_id = self.uid()
        asset_pl = self.playlists.get(playlist.name)
        pair = self.pairs[(playlist.name, mode, map_name)]
        map_asset, level_id = self.maps[map_name]
        info = {
            "StartTime": iso_time(start),
            "EndTime": iso_time(end),
            "Duration": iso_duration(duration, 7),
            "LifecycleMode": 1 if playlist.custom else 3,
            "GameVariantCategory": category,
            "LevelId": level_id,
            "MapVariant": map_asset.ref(),
            "UgcGameVariant": self.variants[(playlist.name, mode)].ref(),
            "ClearanceId": CLEARANCE_ID,
            "Playlist": asset_pl.ref() if asset_pl else None,
            "PlaylistExperience": playlist.experience,
            "PlaylistMapModePair": None if playlist.custom else pair.ref(),
            "SeasonId": None if playlist.custom else SEASON_ID,
            "PlayableDuration": iso_duration(duration - rng.uniform(0, 15), 3),
            "TeamsEnabled": mode != "ffa",
            "TeamScoringEnabled": mode != "ffa",
            "GameplayInteraction": 2 if mode == "firefight" else 1,
        }
        body = {"MatchId": match_id, "MatchInfo": info, "Teams": teams_body, "Players": players}
        durations_to_iso(body)
        self.world.add_match(body)
        self.world.film_versions[match_id] = rng.choice((34, 39, 41, 41, 41))
        if not playlist.custom:
            self._skill(body, playlist)
        return match_id

    def _skill(self, body: dict[str, Any], playlist: Playlist) -> None:
        """Skill results per human: MMRs of all teams, CSR recap, performances near actuals."""
        rng = self.rng
        match_id = body["MatchId"]
        teams = {t["TeamId"] for t in body["Teams"]}
        humans = [p for p in body["Players"] if p["PlayerType"] == 1]
        for p in humans:
            self.mmr.setdefault(int(p["PlayerId"][5:-1]), rng.uniform(900, 1600))
        team_mmrs = {}
        for t in sorted(teams):
            members = [self.mmr[int(p["PlayerId"][5:-1])] for p in humans if p["LastTeamId"] == t]
            team_mmrs[str(t)] = sum(members) / len(members) if members else rng.uniform(900, 1500)
        results = {}
        for p in humans:
            xuid = int(p["PlayerId"][5:-1])
            core = p["PlayerTeamStats"][0]["Stats"]["CoreStats"]
            if playlist.ranked:
                pre = self.csr.setdefault((xuid, playlist.name), rng.randint(600, 1600))
                delta = {2: rng.randint(6, 14), 3: -rng.randint(6, 14)}.get(p["Outcome"], 0)
                post = max(0, pre + delta)
                self.csr[(xuid, playlist.name)] = post
                self.world.playlist_csr.setdefault(self.playlists[playlist.name].asset_id, {})[
                    xuid
                ] = {"current": post, "max": max(post, pre)}
                recap = {"PreMatchCsr": csr_block(pre), "PostMatchCsr": csr_block(post)}
            else:
                recap = {"PreMatchCsr": csr_block(-1), "PostMatchCsr": csr_block(-1)}
            exp_k = max(0.5, core["Kills"] + rng.gauss(0, 3))
            exp_d = max(0.5, core["Deaths"] + rng.gauss(0, 3))
            tiers = {}
            for i, tier in enumerate(TIERS):
                tiers[tier] = {"Kills": exp_k * (0.3 + 0.15 * i), "Deaths": exp_d * (1.4 - 0.1 * i)}
            results[xuid] = {
                "TeamMmr": team_mmrs[str(p["LastTeamId"])],
                "RankRecap": recap,
                "StatPerformances": {
                    "Kills": {
                        "Count": core["Kills"],
                        "Expected": exp_k,
                        "StdDev": rng.uniform(3, 6),
                    },
                    "Deaths": {
                        "Count": core["Deaths"],
                        "Expected": exp_d,
                        "StdDev": rng.uniform(3, 6),
                    },
                },
                "TeamId": p["LastTeamId"],
                "TeamMmrs": team_mmrs,
                "RankedRewards": None,
                "Counterfactuals": {
                    "SelfCounterfactuals": {"Kills": exp_k, "Deaths": exp_d},
                    "TierCounterfactuals": tiers,
                },
            }
        self.world.skill[match_id] = results

    def sessions(self, players: list[SimPlayer], matches: int, start: dt.datetime) -> None:
        """Play sessions until every named player has about `matches` matches."""
        rng = self.rng
        counts = {p.xuid: 0 for p in players}
        moment = start
        while min(counts.values()) < matches:
            anchor = min(players, key=lambda p: (counts[p.xuid], rng.random()))
            friends = [p for p in players if p != anchor and counts[p.xuid] < matches]
            fireteam = [anchor] + rng.sample(friends, min(len(friends), rng.choice((0, 0, 1, 2))))
            self._session(fireteam, rng.randint(2, 6), moment, counts)
            moment = self._next_session_time(moment)

    def _next_session_time(self, moment: dt.datetime) -> dt.datetime:
        """Hours to days between sessions."""
        return moment + dt.timedelta(hours=self.rng.uniform(3, 60))

    def _session(
        self,
        fireteam: list[SimPlayer],
        n: int,
        moment: dt.datetime,
        counts: dict[int, int] | None = None,
    ) -> list[str]:
        """A run of `n` matches a few minutes apart, the same fireteam throughout."""
        rng = self.rng
        playlist = rng.choices([*PLAYLISTS, CUSTOM], weights=[5, 5, 2, 1, 1, 1, 1, 1])[0]
        ids = []
        for _ in range(n):
            if rng.random() < 0.3:
                playlist = rng.choices([*PLAYLISTS, CUSTOM], weights=[5, 5, 2, 1, 1, 1, 1, 1])[0]
            match_id = self.play(moment, fireteam, playlist)
            ids.append(match_id)
            if counts is not None:
                for p in fireteam:
                    counts[p.xuid] += 1
            end = parse_time(self.world.matches[match_id]["MatchInfo"]["EndTime"])
            moment = end + dt.timedelta(minutes=rng.uniform(1, 5))
        return ids

    def add(
        self, world: World, n: int, player: SimPlayer | None, now: dt.datetime | None
    ) -> list[str]:
        """Admin hook: `n` new matches after everything else (same fireteam logic)."""
        latest = world.latest_start() or BASE_DATE
        moment = latest + dt.timedelta(hours=1)
        if now is not None and now > moment:
            moment = now
        anchor = player or self.rng.choice(world.players)
        return self._session([anchor], n, moment)


def build_synthetic_world(seed: int = 42, players: int = 4, matches: int = 120) -> World:
    """A reproducible world: `players` named players with about `matches` matches each."""
    world = World()
    gen = Generator(random.Random(seed), world, seed)
    names = GAMERTAGS[:players] + [f"SimPlayer{i:03d}" for i in range(len(GAMERTAGS), players)]
    world.players = [SimPlayer(name, gen.xuid()) for name in names]
    gen.build_pool()
    gen.build_assets()
    world.medal_metadata = assets.medal_metadata()
    world.match_generator = gen.add
    if matches > 0 and players > 0:
        gen.sessions(world.players, matches, BASE_DATE)
    return world


def reseed(world: World, seed: int) -> None:
    """Continue a synthetic world's story from another random stream, so the matches added
    from now on get ids never served before (e.g. by an earlier `make dev` on the same seed)."""
    generator = getattr(world.match_generator, "__self__", None)
    if not isinstance(generator, Generator):
        raise RuntimeError("this world was not built by build_synthetic_world")
    generator.rng.seed(seed)
