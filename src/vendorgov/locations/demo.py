"""The demo hospital's location tree, imported as a supervisor would: from a spreadsheet."""

from __future__ import annotations

from vendorgov.accounts.roles import Principal
from vendorgov.locations import service

# (building, code, pinyin, floors: (floor, areas)) on the main campus
BUILDINGS = [
    (
        "门诊楼",
        "MZ",
        "mzl",
        [
            ("1楼", ["大厅", "挂号收费处", "卫生间"]),
            ("2楼", ["内科诊区", "卫生间"]),
            ("3楼", ["外科诊区", "卫生间"]),
        ],
    ),
    (
        "住院部",
        "ZY",
        "zyb",
        [
            ("5楼", ["东区病房", "西区病房", "护士站"]),
            ("6楼", ["东区病房", "西区病房"]),
            ("7楼", ["ICU", "手术室外走廊"]),
        ],
    ),
    ("医技楼", "YJ", "yjl", [("1楼", ["放射科", "检验科"]), ("2楼", ["超声科", "卫生间"])]),
    ("急诊楼", "JZ", "jzl", [("1楼", ["急诊科", "抢救室", "输液室"])]),
    ("后勤楼", "HQ", "hql", [("1楼", ["职工食堂", "配电房"])]),
]
PINYIN = {"卫生间": "wsj", "大厅": "dt", "东区病房": "dqbf", "西区病房": "xqbf", "护士站": "hsz"}


def tree_csv() -> bytes:
    rows = ["campus,building,floor,area,code,pinyin", "本院区,,,,BY,byq"]
    for building, code, pinyin, floors in BUILDINGS:
        rows.append(f"本院区,{building},,,BY-{code},{pinyin}")
        for floor, areas in floors:
            floor_code = f"BY-{code}-{floor.removesuffix('楼')}F"
            rows.append(f"本院区,{building},{floor},,{floor_code},")
            for n, area in enumerate(areas, start=1):
                rows.append(
                    f"本院区,{building},{floor},{area},{floor_code}-{n:02d},{PINYIN.get(area, '')}"
                )
    return "\n".join(rows).encode()


async def load(supervisor: Principal) -> list[dict]:
    """Import the tree; the rooms and areas (where inspections happen)."""
    await service.import_tree(supervisor, "院区地点.csv", tree_csv())
    return await service.leaves()
