"""Hub search and file listing, for real, against the loopback server in hub_server."""

from __future__ import annotations

from desktop.core import hub
from tests.core.hub_env import BIG, REPO, SMALL, Env


def test_search_finds_gguf_repos_sorted(env: Env) -> None:
    by_downloads = hub.search_models("gguf")
    assert [m.repo_id for m in by_downloads] == [REPO, "acme/Other-GGUF", "corp/Gated-GGUF"]
    assert by_downloads[0].downloads == 100 and by_downloads[0].parameter_count == 4544
    assert by_downloads[0].architecture == "llama"
    assert by_downloads[2].gated
    assert [m.repo_id for m in hub.search_models("tiny", sort="likes")] == [REPO]  # no safetensors
    assert hub.search_models("gguf", sort="likes", limit=1)[0].repo_id == "acme/Other-GGUF"
    assert hub.search_models("nothing like this") == []


def test_list_files_groups_splits_and_reads_quants(env: Env) -> None:
    files = hub.list_gguf_files(REPO)
    assert [f.name for f in files] == [SMALL, "Tiny-F16.gguf", BIG]
    small, split, big = files
    assert small.quant == "Q4_K_M" and big.quant == "Q8_0" and split.quant == "F16"
    assert small.size == len(env.repo.files[SMALL].data)
    assert small.parts[0].sha256 == env.repo.files[SMALL].sha256
    assert split.filenames == ["Tiny-F16-00001-of-00002.gguf", "Tiny-F16-00002-of-00002.gguf"]
    assert split.complete and split.split_count == 2
    assert split.size == sum(len(env.repo.files[n].data) for n in split.filenames)
    estimate = big.estimate()
    assert estimate.estimated and estimate.file_type == "Q8_0" and estimate.file_size == big.size


def test_hostile_file_names_are_not_listed(env: Env) -> None:
    env.server.add_repo("evil/x", {"../../escape.gguf": env.repo.files[SMALL].data})
    assert hub.list_gguf_files("evil/x") == []
