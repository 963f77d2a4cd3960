#!/bin/sh
# Rebuilds the project's copies of the data sets from the raw files in ../shared/datasets
# (time series from its timeseries/ folder, or the folder given as the first argument; DNA and
# motifs from its sequences/ folder; SMILES from its molecules/ folder).
# Output: wide CSV files with a `timestamp` column and one column per series.
set -eu
raw="${1:-$(dirname "$0")/../../shared/datasets/timeseries}"
out="$(dirname "$0")/timeseries"
mkdir -p "$out"
# CAISO: drop the duplicate date and hour-ending columns, keep the five load series.
awk -F, 'NR == 1 { print "timestamp,PGE,SCE,SDGE,VEA,CAISO Total"; next } { print $1 "," $4 "," $5 "," $6 "," $7 "," $8 }' \
    "$raw/caiso_hourly_load_2018.csv" > "$out/caiso_hourly_load_2018.csv"
# Electricity (mean of 321 clients) and solar power: rename the columns.
awk -F, 'NR == 1 { print "timestamp,electricity"; next } { print }' "$raw/electricity_hourly_mean321.csv" > "$out/electricity_hourly.csv"
awk -F, 'NR == 1 { print "timestamp,solar"; next } { print }' "$raw/solar_power_hourly.csv" > "$out/solar_power_hourly.csv"
echo "wrote $(ls "$out" | wc -l) files to $out"
# DNA promoter windows (decompressed) and JASPAR motifs: copied unchanged.
sequences="$(dirname "$0")/../../shared/datasets/sequences"
mkdir -p "$(dirname "$0")/sequences"
gunzip -c "$sequences/dm3_upstream200.fa.gz" > "$(dirname "$0")/sequences/dm3_upstream200.fa"
cp "$sequences/jaspar2024_core_vertebrates_insects.jaspar" "$(dirname "$0")/sequences/"
chmod 644 "$(dirname "$0")/sequences/"*
echo "wrote the DNA and motif files to $(dirname "$0")/sequences"
# MOSES molecules (decompressed).
mkdir -p "$(dirname "$0")/molecules"
gunzip -c "$(dirname "$0")/../../shared/datasets/molecules/moses_test.csv.gz" > "$(dirname "$0")/molecules/moses_test.csv"
echo "wrote the molecule file to $(dirname "$0")/molecules"
