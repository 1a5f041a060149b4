"""Previews of artifacts logged by the real mlflow client, computed without Textual,
and what saving writes (and refuses to write)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mltui.store import open_store
from mltui.store.entities import ArtifactEntry
from mltui.store.errors import StoreError
from mltui.views.artifact_save import save_artifact, temp_copy
from mltui.views.artifacts import (
    ArtifactItem,
    ArtifactSource,
    load_children,
    load_root,
    reveal,
    walk_matches,
)
from mltui.views.preview_image import fit_box
from mltui.views.preview_text import decode_text, hex_dump, text_lines
from mltui.views.preview_types import (
    HexPreview,
    ImagePreview,
    MessagePreview,
    ModelPreview,
    TablePreview,
    TextPreview,
)
from mltui.views.previews import HEAD_BYTES, load_preview
from support.artifact_world import BIG_LOG_LINES, ESCAPES, big_log_line, world


@pytest.fixture(scope="module")
def local():
    uri, ids = world("sqlite")
    store = open_store(uri)
    yield store, ids
    store.close()


@pytest.fixture(scope="module")
def root(local):
    store, ids = local
    return load_root(store, ids["run_a"])


def item_at(listing, path: str, model: bool = False) -> ArtifactItem:
    source = next(i.source for i in listing.items if (i.source.model is not None) == model)
    entries = source.entries(path.rpartition("/")[0])
    entry = next(e for e in entries if e.path == path)
    return ArtifactItem(source, entry)


def preview(listing, path: str, model: bool = False):
    return load_preview(item_at(listing, path, model))


def test_the_root_lists_the_run_and_its_logged_model(root, local):
    _store, ids = local
    names = [i.name for i in root.items]
    assert names[:3] == ["big", "classic_model", "data"]  # folders first
    model = [i for i in root.items if i.source.model is not None]
    assert [m.source.model.model_id for m in model] == [ids["model_id"]]
    assert model[0].name == f"model: model ({ids['model_id'][:10]}…)"
    assert not root.problems


def test_text_json_yaml_and_code(root):
    log = preview(root, "train.log")
    assert isinstance(log, TextPreview) and log.head == ["epoch 1 loss 0.9", "epoch 2 loss 0.5"]
    assert log.kind == "log" and not log.tail
    confusion = preview(root, "eval/confusion.json")
    assert confusion.lexer == "json" and confusion.head[:2] == ["{", '  "labels": [']
    assert preview(root, "config.yaml").lexer == "yaml"
    assert preview(root, "settings.toml").lexer == "toml"
    assert preview(root, "train.py").lexer == "python"
    assert preview(root, "query.sql").lexer == "sql"
    assert preview(root, "MLproject").kind == "MLproject"
    html = preview(root, "report.html")
    assert html.lexer == "html" and not html.markdown and "<h1>Report</h1>" in html.text
    readme = preview(root, "README.md")
    assert readme.markdown and readme.head[0] == "# Model card"


def test_a_big_log_is_its_head_and_tail(root):
    log = preview(root, "big/train-big.log")
    assert isinstance(log, TextPreview)
    assert log.head[0] == big_log_line(0).rstrip("\n")
    assert log.tail[-1] == big_log_line(BIG_LOG_LINES - 1).rstrip("\n")
    assert 0 < log.omitted < log.size
    # whole lines only: no line cut at either edge of what was read
    for line in (log.head[-1], log.tail[0]):
        assert line in {big_log_line(i).rstrip("\n") for i in range(BIG_LOG_LINES)}
    assert sum(len(x) + 1 for x in log.head) <= HEAD_BYTES
    assert "G goes to the end" in log.lines()[log.gap_line]


def test_tables(root):
    csv = preview(root, "data/sample.csv")
    assert isinstance(csv, TablePreview)
    assert csv.columns == ["id", "name", "score"] and csv.rows[2] == ["3", "gam,ma", "1.0"]
    assert csv.total_rows == 3 and "3 columns" in csv.summary
    assert preview(root, "data/sample.tsv").rows == [["1", "x"], ["2", "y"]]
    logged = preview(root, "tables/predictions.json")
    assert logged.columns == ["prediction", "label"] and logged.rows[1] == ["0.9", "yes"]
    parquet = preview(root, "data/table.parquet")
    assert parquet.columns == ["x", "y"] and parquet.rows == [["1", "a"], ["2", "b"], ["3", "c"]]
    lines = csv.lines()
    assert lines[0].startswith("id │ name") and set(lines[1]) <= {"─", "┼"}


def test_parquet_without_pyarrow_names_it(root, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = preview(root, "data/table.parquet")
    assert isinstance(result, MessagePreview) and "pip install pyarrow" in result.message


def test_images(root):
    png = preview(root, "plots/gradient.png")
    assert isinstance(png, ImagePreview) and (png.width, png.height) == (64, 48)
    cells = png.cells(32, 12)
    assert len(cells) == 12 and len(cells[0]) == 32  # 64x48 px in 32x12 cells (2 px each)
    left, right = cells[0][0][0], cells[0][-1][0]
    assert left[0] < 40 < 200 < right[0]  # the red gradient runs left to right
    for path, size in (("images/photo.jpg", (40, 30)), ("images/anim.gif", (20, 10)),
                       ("images/icon.bmp", (16, 8))):
        image = preview(root, path)
        assert isinstance(image, ImagePreview) and (image.width, image.height) == size, path
    assert "first of 2 frames" in preview(root, "images/anim.gif").summary


def test_image_without_pillow_names_it(root, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    result = preview(root, "plots/gradient.png")
    assert isinstance(result, MessagePreview) and "pip install pillow" in result.message


def test_fit_box_keeps_the_aspect_ratio():
    assert fit_box(4000, 3000, 80, 30) == (80, 60)
    assert fit_box(100, 1000, 80, 30) == (6, 60)
    assert fit_box(28, 28, 80, 30) == (60, 60)  # small images are drawn bigger
    assert fit_box(0, 10, 80, 30) == (0, 0)


def test_binary_is_a_hex_dump(root):
    blob = preview(root, "blob.bin")
    assert isinstance(blob, HexPreview) and blob.kind == "binary data"
    assert blob.lines[0] == ("00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  "
                             "|................|")
    pickle = preview(root, "classic_model/python_model.pkl")
    assert isinstance(pickle, HexPreview) and pickle.kind == "Python pickle"
    assert hex_dump(b"A\x1b[2J")[0].endswith("|A.[2J|")


def test_hostile_files_are_safe(root):
    escapes = preview(root, "hostile/escapes.log")
    assert isinstance(escapes, TextPreview)
    text = escapes.text
    assert "\x1b" not in text and "\x07" not in text and "␛[2J" in text
    assert len(escapes.head) == ESCAPES.count("\n")
    invalid = preview(root, "hostile/invalid-utf8.txt")
    assert invalid.head == ["good line", "bad \ufffd\ufffd bytes"]
    assert "not valid UTF-8: 2 bytes" in invalid.summary
    truncated = preview(root, "hostile/truncated.png")
    assert isinstance(truncated, MessagePreview) and truncated.error
    assert truncated.message.startswith("Cannot decode this PNG image")
    assert "\n" not in truncated.message


def test_decoding_chunks_cut_inside_characters():
    data = "é".encode() * 3
    assert decode_text(data[1:], partial_start=True) == ("éé", 0)
    assert decode_text(data[:-1], partial_end=True) == ("éé", 0)
    assert text_lines("a\r\nb\rc\n") == ["a", "b", "c"]
    assert text_lines("x" * 5000)[0].endswith("(3,000 more characters)")


def test_the_logged_model_summary(root, local):
    _store, ids = local
    model_root = next(i for i in root.items if i.source.model is not None)
    card = load_preview(model_root)  # a folder holding MLmodel shows the model
    assert isinstance(card, ModelPreview)
    model = card.model
    assert model.model_uri == f"models:/{ids['model_id']}"
    assert model.serve_command == f"mlflow models serve -m models:/{ids['model_id']}"
    assert [name for name, _ in model.flavors] == ["python_function"]
    assert [(f.name, f.type) for f in model.inputs] == [("a", "double"), ("b", "string")]
    assert isinstance(model.input_example, TablePreview)
    assert model.input_example.rows == [["1.0", "x"], ["2.0", "y"]]
    assert model.python_version == f"{sys.version_info.major}.{sys.version_info.minor}." \
        f"{sys.version_info.micro}"
    assert any(r.startswith("mlflow==") for r in model.requirements)
    assert model.requirements_from == "requirements.txt"
    assert ("run id", ids["run_a"]) in model.facts


def test_a_model_among_the_run_artifacts_is_served_from_runs(root, local):
    _store, ids = local
    card = preview(root, "classic_model/MLmodel")
    assert isinstance(card, ModelPreview)
    assert card.model.serve_command == f"mlflow models serve -m runs:/{ids['run_a']}/classic_model"
    assert not card.model.inputs and card.model.python_version


def test_find_walks_unlisted_folders_and_reveal_follows_a_path(root, local):
    store, ids = local
    found, fetched = walk_matches(root, "CONFUSION", {})
    assert [i.path for i in found] == ["eval/confusion.json"]
    assert ("", "eval") in fetched
    other = load_root(store, ids["run_b"])
    item, fetched = reveal(other, "", "eval/confusion.json", {})
    assert item is not None and item.source.run.run_id == ids["run_b"]
    assert b"40" in item.source.read(item.path, 0, 1000)  # run B's matrix, not run A's
    assert reveal(other, "", "plots/gradient.png", {})[0] is None
    model, _ = reveal(root, "model:model", "MLmodel", {})
    assert model is not None and model.source.model is not None


# -- bad input ---------------------------------------------------------------------------


def _local_source(tmp_path: Path, store) -> ArtifactSource:
    from mltui.store.entities import Run

    return ArtifactSource(store, Run("r", "0", artifact_uri=tmp_path.as_uri()))


class _FakeStore:
    """The store calls an ArtifactSource makes, on one local folder."""

    def __init__(self, root: Path):
        from mltui.store.artifacts import LocalArtifacts

        self.reader = LocalArtifacts(root)

    def list_artifacts(self, run_id, path=""):
        return self.reader.entries(path)

    def artifact_size(self, run_id, path):
        return self.reader.size(path)

    def read_artifact_range(self, run_id, path, offset, length):
        return self.reader.read(path, offset, length)


def test_missing_files_loops_and_huge_files_are_one_line_or_quick(tmp_path):
    folder = tmp_path / "art"
    folder.mkdir()
    (folder / "loop").symlink_to(folder / "loop")
    with open(folder / "huge.log", "wb") as fh:
        fh.write(b"".join(big_log_line(i).encode() for i in range(20_000)))
        fh.seek((2 << 30) - 100_000)
        fh.write(b"".join(big_log_line(i).encode() for i in range(3000)))
    source = _local_source(folder, _FakeStore(folder))
    loop = load_preview(ArtifactItem(source, ArtifactEntry("loop")))
    assert isinstance(loop, MessagePreview) and "symbolic link loop" in loop.message
    gone = load_preview(ArtifactItem(source, ArtifactEntry("gone.txt", False, 10)))
    assert isinstance(gone, MessagePreview) and gone.message == "No artifact file at gone.txt"
    missing_dir = load_preview(ArtifactItem(source, ArtifactEntry("nodir", True)))
    assert isinstance(missing_dir, MessagePreview) and "No artifact at nodir" in missing_dir.message
    huge = load_preview(ArtifactItem(source, ArtifactEntry("huge.log")))
    assert isinstance(huge, TextPreview) and huge.size > 2 << 30
    assert huge.tail[-1] == big_log_line(2999).rstrip("\n")
    hostile = load_preview(ArtifactItem(source, ArtifactEntry("../../etc/passwd", False, 5)))
    assert isinstance(hostile, MessagePreview) and "Invalid artifact path" in hostile.message


def test_saving_a_file_and_a_folder(root, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    result = save_artifact(item_at(root, "eval/confusion.json"), dest)
    assert result.files == 1 and (dest / "confusion.json").read_bytes() == \
        item_at(root, "eval/confusion.json").source.read("eval/confusion.json", 0, 1 << 20)
    with pytest.raises(StoreError, match="exists; not overwritten"):
        save_artifact(item_at(root, "eval/confusion.json"), dest)
    data_dir = next(i for i in root.items if i.path == "data")
    result = save_artifact(data_dir, dest)
    assert sorted(p.name for p in (dest / "data").iterdir()) == \
        ["sample.csv", "sample.tsv", "table.parquet"]
    assert result.files == 3 and not result.skipped
    (dest / "data" / "sample.csv").write_text("changed")
    save_artifact(data_dir, dest, overwrite=True)
    assert (dest / "data" / "sample.csv").read_text().startswith("id,name")
    assert not list(dest.rglob("*.mltui-part"))


def test_saving_never_writes_outside_the_folder(tmp_path):
    class Hostile(_FakeStore):
        def list_artifacts(self, run_id, path=""):
            return [ArtifactEntry("sub/../../escape.txt", False, 3),
                    ArtifactEntry("/etc/passwd", False, 3),
                    ArtifactEntry("sub/ok.txt", False, 2),
                    ArtifactEntry("elsewhere/x.txt", False, 2),
                    ArtifactEntry("sub/link", False, 2)]

        def read_artifact_range(self, run_id, path, offset, length):
            return b"ok"[offset:offset + length]

    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    (dest / "sub").mkdir(parents=True)
    (dest / "sub" / "link").symlink_to(outside / "pwned")
    source = _local_source(tmp_path, Hostile(tmp_path))
    result = save_artifact(ArtifactItem(source, ArtifactEntry("sub", True)), dest,
                           overwrite=True)
    assert result.files == 1 and (dest / "sub" / "ok.txt").read_bytes() == b"ok"
    assert len(result.skipped) == 4
    assert not (tmp_path / "escape.txt").exists() and not (outside / "pwned").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "outside"]


def test_a_temporary_copy_for_the_pager(root):
    path = temp_copy(item_at(root, "train.log"))
    try:
        assert path.read_text() == "epoch 1 loss 0.9\nepoch 2 loss 0.5\n"
    finally:
        import shutil

        shutil.rmtree(path.parent)
    with pytest.raises(StoreError):
        temp_copy(next(i for i in root.items if i.is_dir))


def test_children_of_a_folder(root):
    data = next(i for i in root.items if i.path == "data")
    assert [c.name for c in load_children(data)] == ["sample.csv", "sample.tsv", "table.parquet"]
