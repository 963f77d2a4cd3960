"""Writes the holiday calendars of the time-series benchmark from the python-holidays package.

Usage: make-holidays.py PACKAGES OUTPUT
PACKAGES holds the wheels of holidays 0.62 and python-dateutil 2.9.0.post0 (from PyPI; both are
pure Python); OUTPUT/holidays/<country>.csv gets one `YYYY-MM-DD,name` line per public holiday
of the country's calendar in python-holidays (observed days included), for the years of the
benchmark series of that country.
"""
import glob
import os
import sys
import tempfile
import zipfile

# Country code, years, the benchmark series it serves.
CALENDARS = [
    ("us", "US", range(2000, 2021), "CAISO, traffic volume (Minnesota), bike sharing (Washington DC), Peyton Manning, initial claims"),
    ("pt", "PT", range(2010, 2016), "electricity (Portuguese clients)"),
    ("cn", "CN", range(2010, 2016), "Beijing PM2.5"),
]


def main(packages, output):
    with tempfile.TemporaryDirectory() as folder:
        for wheel in sorted(glob.glob(os.path.join(packages, "holidays-0.62-*.whl")) + glob.glob(os.path.join(packages, "python_dateutil-2.9.0.post0-*.whl"))):
            zipfile.ZipFile(wheel).extractall(folder)
        sys.path.insert(0, folder)
        import holidays
        assert holidays.__version__ == "0.62", holidays.__version__
        os.makedirs(os.path.join(output, "holidays"), exist_ok=True)
        for name, code, years, serves in CALENDARS:
            days = holidays.country_holidays(code, years=years)
            path = os.path.join(output, "holidays", name + ".csv")
            with open(path, "w", newline="\n") as f:
                f.write(f"# {code} public holidays {years.start}-{years.stop - 1} from python-holidays 0.62 (MIT); for {serves}\n")
                for day, label in sorted(days.items()):
                    f.write(f"{day.isoformat()},{label}\n")
            print(f"wrote {len(days)} dates to {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
