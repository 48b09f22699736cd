"""Tesseract (the distribution's `tesseract-ocr`), run as a command over many small images at once.

Starting Tesseract and loading its model costs more than reading one cell, so a whole batch of
crops goes to one run as a list of images, and a batch is split between a few runs side by side.
Each run is held to one thread (OMP_THREAD_LIMIT=1): on a machine with few cores Tesseract's own
threads only contend with each other and with the runs beside them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image


class OcrUnavailable(Exception):
    """Tesseract is not installed (or not where the settings say): the figures are typed instead."""


class OcrTimeout(Exception):
    """Reading took longer than the time allowed."""


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0-100, as Tesseract gives it
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class Job:
    """Images read with one page segmentation mode (7: one line; 6: a block of lines) and, when
    given, only these characters."""

    images: list[Image.Image]
    psm: int
    characters: str = ""


@dataclass(frozen=True)
class Tesseract:
    command: str = "tesseract"
    processes: int = 2
    language: str = "eng"
    _version: list = field(default_factory=list, compare=False, repr=False)

    def path(self) -> str | None:
        return shutil.which(self.command)

    def version(self) -> str:
        """'tesseract 5.3.0', or OcrUnavailable when it is not installed."""
        if self._version:
            return self._version[0]
        if self.path() is None:
            raise OcrUnavailable(f"OCR is unavailable: Tesseract ({self.command}) is not installed on this server")
        try:
            done = subprocess.run([self.command, "--version"], capture_output=True, text=True, timeout=20,
                                  env=_environment(), check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise OcrUnavailable(f"OCR is unavailable: Tesseract ({self.command}) does not start ({error})") from None
        first = (done.stdout or done.stderr).strip().splitlines()
        if done.returncode != 0 or not first:
            raise OcrUnavailable(f"OCR is unavailable: Tesseract ({self.command}) does not start")
        self._version.append(first[0].strip())
        return self._version[0]

    def read(self, images: list[Image.Image], *, psm: int, characters: str = "", deadline: float | None = None
             ) -> list[list[Word]]:
        """The words Tesseract reads in each image (in the same order), reading only `characters`
        when given. `deadline`: a time.monotonic() past which the runs are stopped."""
        return self.read_all([Job(images, psm, characters)], deadline)[0]

    def read_all(self, jobs: list[Job], deadline: float | None = None) -> list[list[list[Word]]]:
        """Several batches read at once: batches with the same page segmentation and characters go
        to the same runs (starting Tesseract costs more than reading a cell), a large one is shared
        out between runs, and at most `processes` runs go side by side."""
        if not any(job.images for job in jobs):
            return [[] for _ in jobs]
        self.version()
        kinds: dict[tuple[int, str], list[tuple[int, int]]] = {}  # (psm, characters) -> (job, image index)
        for j, job in enumerate(jobs):
            kinds.setdefault((job.psm, job.characters), []).extend((j, i) for i in range(len(job.images)))
        runs = []  # (psm, characters, [(job, image index)])
        for (psm, characters), places in kinds.items():
            parts = self.processes if len(places) >= 8 * self.processes else 1
            share = max(1, -(-len(places) // parts))
            runs.extend((psm, characters, places[i:i + share]) for i in range(0, len(places), share))
        with tempfile.TemporaryDirectory(prefix="foi-ocr-") as folder:
            with ThreadPoolExecutor(max_workers=max(1, self.processes)) as pool:
                done = list(pool.map(lambda n: self._run(Path(folder), n, [jobs[j].images[i] for j, i in runs[n][2]],
                                                         runs[n][0], runs[n][1], deadline), range(len(runs))))
        out: list[list[list[Word]]] = [[[] for _ in job.images] for job in jobs]
        for (_, _, places), words in zip(runs, done):
            for (j, i), found in zip(places, words):
                out[j][i] = found
        return out

    def _run(self, folder: Path, number: int, images: list[Image.Image], psm: int, characters: str,
             deadline: float | None) -> list[list[Word]]:
        names = []
        for i, image in enumerate(images):
            name = folder / f"{number}-{i}.pgm"
            image.save(name)  # uncompressed: written and read at once
            names.append(str(name))
        listing = folder / f"{number}.txt"
        listing.write_text("\n".join(names) + "\n")
        config = folder / f"{number}.cfg"
        # A config file, not -c: the set of characters may hold a space.
        lines = ["load_system_dawg 0", "load_freq_dawg 0", "tessedit_do_invert 0"]
        if characters:
            lines.append(f"tessedit_char_whitelist {characters}")
        config.write_text("\n".join(lines) + "\n")
        timeout = None if deadline is None else max(0.1, deadline - time.monotonic())
        try:
            done = subprocess.run([self.command, str(listing), "stdout", "-l", self.language, "--psm", str(psm),
                                   str(config), "tsv"], capture_output=True, text=True, timeout=timeout,
                                  env=_environment(), check=False)
        except subprocess.TimeoutExpired:
            raise OcrTimeout("reading the scan took longer than the time allowed") from None
        except OSError as error:
            raise OcrUnavailable(f"OCR is unavailable: Tesseract ({self.command}) does not start ({error})") from None
        if done.returncode != 0:
            raise OcrUnavailable(f"Tesseract failed: {(done.stderr or '').strip().splitlines()[-1:] or ['no reason']}")
        return parse_tsv(done.stdout, len(images))


def _environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TESSDATA_PREFIX")}
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def parse_tsv(text: str, pages: int) -> list[list[Word]]:
    """Tesseract's TSV: one line per page, block, paragraph, line and word; the words (level 5)
    with text, grouped by the image (page_num, 1-based) they were read in."""
    out: list[list[Word]] = [[] for _ in range(pages)]
    for line in text.splitlines()[1:]:
        f = line.split("\t")
        if len(f) != 12 or f[0] != "5" or not f[11].strip():
            continue
        page = int(f[1]) - 1
        if 0 <= page < pages:
            out[page].append(Word(f[11].strip(), float(f[10]), int(f[6]), int(f[7]), int(f[8]), int(f[9])))
    return out
