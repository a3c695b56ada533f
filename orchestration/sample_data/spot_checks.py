"""Sample spot-check result files (产品质量抽检抽查结果), one per (stream, month), in
raw/spot_checks/<stream>/<YYYY-MM>/.

Streams, counties and categories come from the dbt seeds; the landing folder from
`orchestration/feeds/spot_checks.yaml`. Each stream's publisher writes its table its own way
(PublisherLayout): its own header names (synonyms the contract accepts), columns it leaves out
(the stream, when the folder names it), its spelling of verdicts and of empty cells, CSV in
UTF-8, UTF-8 with BOM or GB18030, or xlsx with a title row and, for 农产品监测, a two-row
header (行政区划 → 市 | 县区). The catalogue below only adds flavour (products, specifications,
failing test items) keyed by category code, with a generic fallback so a new category in the
seed still generates. Each file's modification time is the simulated delivery time of its
month's results (the 5th of the next month, 09:00 Beijing time). Every year one month of
食品安全监督抽检 is delivered again on the 25th, corrected (`…_更正`): a failed batch that
passed its 复检, a withdrawn 无效样品 removed, a batch the first list missed added.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.domain.credit_code import CHARSET
from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from orchestration.sample_data.common import (
    Deliveries,
    Enterprise,
    EnterpriseRegistry,
    GenerationSummary,
    allocate,
    check_arguments,
    chinese_number,
    date_variant,
    division_code,
    rng_for,
    working_days,
    write_csv,
)
from orchestration.sample_data.excel_layouts import HeaderCell, write_table_xlsx

FEED = "spot_checks"
DELIVERY_DAY = 5  # results of a month arrive on the 5th of the next, at 09:00 Beijing time
CORRECTION_DAY = 25  # the corrected list of the year's re-delivered month
DELIVERY_TIME = dt.time(9, 0)
CORRECTED_STREAM = "food"  # 复检 results overturn a few food verdicts every year
XLSX_SHEET = "抽检结果"
ERROR_KINDS = ("unknown_county", "bad_credit_code", "unknown_verdict", "bad_date")


@dataclass(frozen=True)
class PublisherLayout:
    """How a publisher writes its results table. `headers` maps each contract column it writes
    to its header (a (top, sub) pair under a merged group header); columns it leaves out are
    absent. Verdicts are written as (pass, fail) spellings with weights; `empty` is how it
    fills an empty cell."""

    headers: Mapping[str, str | HeaderCell]
    verdicts: tuple[tuple[str, str, float], ...] = (("合格", "不合格", 1.0),)
    empty: str = "/"
    file_type: str = "csv"
    encoding: str = "utf-8"

    @property
    def two_row_header(self) -> bool:
        return any(isinstance(header, tuple) for header in self.headers.values())


# The contract columns the generator writes (the others: city, addresses, the loader's own,
# are left out of every layout; the enterprise is written once, as one of its two roles).
WRITTEN = (
    "sample_no",
    "stream_code",
    "sampled_on",
    "county_code",
    "sampled_unit_name",
    "credit_code",
    "category_code",
    "product_name",
    "spec_model",
    "batch_no",
    "sampling_org",
    "inspection_agency",
    "verdict",
    "nonconforming_items",
)


def _labels(**renamed: str | HeaderCell | None) -> dict[str, str | HeaderCell]:
    """The contract's own labels of the written columns, with some columns renamed (value
    None: left out); `manufacturer_name=…` writes the enterprise as the manufacturer instead
    of the sampled unit."""
    columns = {c.name: c for c in load_contract(FEED).columns}
    written = list(WRITTEN)
    if "manufacturer_name" in renamed:
        written[written.index("sampled_unit_name")] = "manufacturer_name"
    headers = {name: renamed.get(name, columns[name].label) for name in written}
    return {name: header for name, header in headers.items() if header is not None}


# 市质监局 publishes the contract's own layout; the others export from their own systems.
LAYOUTS: dict[str, PublisherLayout] = {
    "manufacturing": PublisherLayout(
        headers=_labels(),
        # lab sheets say P/F, some notices 符合/不符合
        verdicts=(("合格", "不合格", 0.9), ("P", "F", 0.05), ("符合", "不符合", 0.05)),
    ),
    "food": PublisherLayout(
        headers=_labels(
            stream_code=None,
            sampled_on="抽检日期",
            county_code="所在县区",
            manufacturer_name="标称生产企业名称",
            category_code="产品分类",
            product_name="样品名称",
            batch_no="生产日期/批号",
            inspection_agency="承检机构",
            nonconforming_items="不合格项目及结果",
        ),
        empty="—",
        encoding="utf-8-sig",
    ),
    "agricultural": PublisherLayout(
        headers=_labels(
            sample_no="样品编号",
            stream_code=None,
            county_code=("行政区划", "县区"),
            product_name="样品名称",
            batch_no="批号",
            verdict="判定结果",
        ),
        empty="",
        file_type="xlsx",
    ),
    "forestry": PublisherLayout(
        headers=_labels(
            county_code="县（市、区）",
            sampled_unit_name="被抽查单位",
            verdict="结论",
        ),
        verdicts=(("合格", "不合格", 0.5), ("符合", "不符合", 0.5)),
        empty="—",
        file_type="xlsx",
    ),
    "risk": PublisherLayout(
        headers=_labels(
            sampled_on="抽查时间",
            manufacturer_name="生产单位",
            credit_code="信用代码",
            category_code="类别",
            spec_model="规格",
            batch_no="批号",
            inspection_agency="检验单位",
            verdict="检验结果",
            nonconforming_items="主要不合格项目",
        ),
        empty="无",
        encoding="gb18030",
    ),
}
_DEFAULT_LAYOUT = PublisherLayout(headers=_labels())
CITY_COLUMN = ("行政区划", "市")  # written beside 县区 under a merged 行政区划


@dataclass(frozen=True)
class StreamProfile:
    """How one inspection stream publishes: volume, season, style and who does the work."""

    prefix: str
    batches_per_year: int
    pass_range: tuple[float, float]
    months: tuple[float, ...]
    visits_per_enterprise: float
    sampling_orgs: tuple[tuple[str, float], ...]
    agencies: tuple[tuple[str, float], ...]


# Fewer batches around Spring Festival (Jan/Feb); fruit and seedlings peak in season.
STREAMS: dict[str, StreamProfile] = {
    "manufacturing": StreamProfile(
        prefix="JD",
        batches_per_year=1200,
        pass_range=(0.90, 0.96),
        months=(0.45, 0.35, 0.9, 1.1, 1.15, 1.1, 1.0, 0.95, 1.15, 0.9, 1.2, 1.05),
        visits_per_enterprise=2.5,
        sampling_orgs=(
            ("廊坊市质量技术监督局", 0.7),
            ("河北省质量技术监督局", 0.15),
            ("{county}质量技术监督局", 0.15),
        ),
        agencies=(
            ("廊坊市产品质量监督检验所", 0.6),
            ("河北省产品质量监督检验院", 0.3),
            ("河北省电线电缆产品质量监督检验站", 0.1),
        ),
    ),
    "food": StreamProfile(
        prefix="SP",
        batches_per_year=3000,
        pass_range=(0.96, 0.985),
        months=(0.8, 0.6, 0.9, 1.0, 1.0, 1.05, 1.0, 1.0, 1.2, 0.95, 1.05, 1.1),
        visits_per_enterprise=4.0,
        sampling_orgs=(
            ("廊坊市食品药品监督管理局", 0.7),
            ("河北省食品药品监督管理局", 0.2),
            ("{county}食品药品监督管理局", 0.1),
        ),
        agencies=(
            ("河北省食品检验研究院", 0.45),
            ("廊坊市食品药品检验中心", 0.45),
            ("河北省药品检验研究院", 0.1),
        ),
    ),
    "agricultural": StreamProfile(
        prefix="NC",
        batches_per_year=2400,
        pass_range=(0.96, 0.99),
        months=(0.5, 0.4, 0.8, 1.0, 1.15, 1.25, 1.25, 1.2, 1.15, 1.0, 0.9, 0.7),
        visits_per_enterprise=3.0,
        sampling_orgs=(("廊坊市农业局", 0.65), ("廊坊市畜牧水产局", 0.35)),
        agencies=(
            ("廊坊市农产品质量安全检测中心", 0.6),
            ("河北省农产品质量安全检测中心", 0.25),
            ("河北省畜产品质量监测中心", 0.15),
        ),
    ),
    "forestry": StreamProfile(
        prefix="LC",
        batches_per_year=240,
        pass_range=(0.95, 0.99),
        months=(0.3, 0.2, 0.8, 1.0, 0.8, 1.0, 1.2, 1.5, 1.6, 1.4, 0.8, 0.4),
        visits_per_enterprise=2.0,
        sampling_orgs=(("廊坊市林业局", 0.85), ("河北省林业厅", 0.15)),
        agencies=(
            ("河北省林产品质量检验检测中心", 0.6),
            ("国家林业局林产品质量检验检测中心（北京）", 0.4),
        ),
    ),
    "risk": StreamProfile(
        prefix="FX",
        batches_per_year=150,
        pass_range=(0.85, 0.95),
        months=(0.4, 0.3, 0.9, 1.1, 1.2, 1.2, 1.1, 1.0, 1.2, 0.9, 1.1, 0.9),
        visits_per_enterprise=1.5,
        sampling_orgs=(("廊坊市质量技术监督局", 1.0),),
        agencies=(("廊坊市产品质量监督检验所", 0.7), ("河北省产品质量监督检验院", 0.3)),
    ),
}
_DEFAULT_STREAM = StreamProfile(
    prefix="QT",
    batches_per_year=100,
    pass_range=(0.93, 0.98),
    months=(0.5, 0.4, *([1.0] * 10)),
    visits_per_enterprise=2.0,
    sampling_orgs=(("廊坊市质量技术监督局", 1.0),),
    agencies=(("廊坊市产品质量监督检验所", 1.0),),
)

# Bigger counties see more batches; unknown or new codes get the neutral weight 1.0.
COUNTY_WEIGHTS = {
    "131082": 1.6,  # 三河
    "131081": 1.5,  # 霸州
    "131022": 1.3,  # 固安
    "131003": 1.3,  # 广阳
    "131002": 1.2,  # 安次
    "LFKFQ": 0.8,
}
# Local industry clusters named in the plan: 霸州 metal-glass furniture, 香河 furniture,
# 文安 wood-based panels, 大城 building materials.
COUNTY_CATEGORY_AFFINITY = {
    ("131081", "M11"): 6.0,
    ("131024", "M10"): 6.0,
    ("131026", "G03"): 3.0,
    ("131026", "M05"): 2.0,
    ("131025", "M08"): 3.0,
    ("131025", "M05"): 2.0,
}


@dataclass(frozen=True)
class Product:
    """A product line with its usual specifications and, when it differs from the category,
    its own failing test items."""

    name: str
    specs: tuple[str, ...] = ("/",)
    fail_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryProfile:
    """Generation details of a product category."""

    weight: float
    industries: tuple[str, ...]
    products: tuple[Product, ...]
    fail_items: tuple[str, ...]
    batch_share: float  # how often a production date or batch number is recorded


def _p(name: str, *specs: str, items: tuple[str, ...] = ()) -> Product:
    return Product(name, specs or ("/",), items)


CATEGORIES: dict[str, CategoryProfile] = {
    "M01": CategoryProfile(
        0.09,
        ("玩具", "童车", "儿童用品", "婴童用品"),
        (
            _p("塑胶玩具", "TY-3021", "HX-818", "/"),
            _p("毛绒玩具", "30cm", "45cm", "60cm"),
            _p("儿童自行车", "12英寸", "14英寸", "16英寸"),
            _p("婴儿推车", "BB-668", "HT-201"),
        ),
        ("邻苯二甲酸酯增塑剂", "小零件", "锐利边缘", "可触及锐利尖端", "标识和使用说明"),
        0.8,
    ),
    "M02": CategoryProfile(
        0.08,
        ("厨具", "炊具", "不锈钢制品", "燃气具"),
        (
            _p("不锈钢炒锅", "32cm", "34cm", "30cm"),
            _p("家用燃气灶具", "JZT-2-B01", "JZY-2-A06"),
            _p("电压力锅", "YBD50-90", "YBD60-100"),
            _p("不锈钢菜刀", "/", "190mm"),
        ),
        ("铬含量", "熄火保护装置", "热效率", "一氧化碳含量", "标志"),
        0.85,
    ),
    "M03": CategoryProfile(
        0.09,
        ("服装", "服饰", "纺织", "制衣"),
        (
            _p("男式衬衫", "170/92A", "175/96A", "180/100A"),
            _p("羽绒服", "165/88A", "170/92A", "175/96A"),
            _p("休闲裤", "170/74A", "175/80A"),
            _p("针织内衣", "165/90", "170/95", "175/100"),
        ),
        ("纤维含量", "甲醛含量", "pH值", "耐摩擦色牢度", "含绒量", "使用说明"),
        0.7,
    ),
    "M04": CategoryProfile(
        0.11,
        ("电线电缆", "线缆", "电缆"),
        (
            _p("聚氯乙烯绝缘电缆", "BV 450/750V 2.5mm²", "BV 450/750V 4mm²", "BV 450/750V 1.5mm²"),
            _p("铜芯聚氯乙烯绝缘软电缆", "BVR 450/750V 2.5mm²", "BVR 450/750V 6mm²"),
            _p("聚氯乙烯绝缘聚氯乙烯护套软电缆", "RVV 300/500V 3×1.5mm²", "RVV 300/500V 2×1.0mm²"),
            _p("交联聚乙烯绝缘电力电缆", "YJV 0.6/1kV 3×95+1×50mm²", "YJV 0.6/1kV 4×25mm²"),
        ),
        ("导体电阻", "绝缘厚度", "绝缘最薄点厚度", "护套厚度", "绝缘老化前抗张强度", "标志"),
        0.9,
    ),
    "M05": CategoryProfile(
        0.09,
        ("建材", "装饰材料", "涂料", "新型建材"),
        (
            _p("内墙乳胶漆", "18L/桶", "5L/桶"),
            _p("溶剂型木器涂料", "PU 10kg/组", "NC 3kg/桶"),
            _p("中密度纤维板", "1220mm×2440mm×15mm", "1220mm×2440mm×18mm"),
            _p("陶瓷砖", "600mm×600mm", "800mm×800mm", "300mm×600mm"),
        ),
        ("甲醛释放量", "挥发性有机化合物（VOC）", "苯系物总和", "吸水率", "可溶性重金属"),
        0.85,
    ),
    "M06": CategoryProfile(
        0.07,
        ("卫浴", "洁具", "水暖器材"),
        (
            _p("陶瓷片密封水嘴", "DN15", "DN20"),
            _p("坐便器", "6L", "4.8L"),
            _p("淋浴器", "/", "HS-9001"),
            _p("便器冲洗阀", "DN25", "DN20"),
        ),
        ("用水量", "流量", "密封性能", "酸性盐雾试验", "冲洗功能"),
        0.8,
    ),
    "M07": CategoryProfile(
        0.09,
        ("肥业", "化肥", "复合肥"),
        (
            _p("复合肥料", "40kg/袋 15-15-15", "50kg/袋 17-17-17"),
            _p("掺混肥料", "40kg/袋 18-18-9", "50kg/袋 20-10-15"),
            _p("有机无机复混肥料", "40kg/袋 12-6-7", "40kg/袋 10-5-10"),
        ),
        ("总养分", "水溶性磷占有效磷百分率", "氯离子", "水分", "粒度", "有机质含量"),
        0.9,
    ),
    "M08": CategoryProfile(
        0.09,
        ("防水材料", "防水建材", "建材"),
        (
            _p("弹性体改性沥青防水卷材", "SBS Ⅰ PY PE 3mm 10m²", "SBS Ⅱ PY S 4mm 7.5m²"),
            _p("塑性体改性沥青防水卷材", "APP Ⅰ PY PE 3mm 10m²", "APP Ⅱ PY S 4mm 10m²"),
            _p("自粘聚合物改性沥青防水卷材", "N PE 1.5mm 20m²", "PY D 3mm 10m²"),
        ),
        ("可溶物含量", "拉力", "低温柔性", "耐热性", "不透水性", "最大峰时延伸率"),
        0.9,
    ),
    "M09": CategoryProfile(
        0.09,
        ("石油销售", "加油站", "石化"),
        (
            _p("车用汽油", "92号（Ⅴ）", "95号（Ⅴ）", "92号（Ⅳ）"),
            _p("车用柴油", "0号（Ⅴ）", "-10号（Ⅴ）", "0号（Ⅳ）"),
        ),
        ("硫含量", "研究法辛烷值", "馏程", "密度", "闪点", "十六烷值", "锰含量", "烯烃含量"),
        0.3,
    ),
    "M10": CategoryProfile(
        0.05,
        ("家具", "家私", "木业"),
        (
            _p("实木床", "1800mm×2000mm", "1500mm×2000mm"),
            _p("板式衣柜", "1600mm×600mm×2200mm", "2000mm×600mm×2200mm"),
            _p("软体沙发", "三人位", "单人位"),
            _p("办公椅", "/", "BY-806"),
        ),
        ("甲醛释放量", "稳定性", "耐冷热循环", "漆膜附着力", "标识"),
        0.75,
    ),
    "M11": CategoryProfile(
        0.05,
        ("金属玻璃家具", "钢木家具", "家具"),
        (
            _p("钢化玻璃餐桌", "1300mm×800mm", "1400mm×850mm"),
            _p("金属玻璃茶几", "1200mm×600mm", "1300mm×700mm"),
            _p("金属框架餐椅", "/", "CY-108"),
        ),
        ("钢化玻璃碎片状态", "抗冲击性能", "稳定性", "金属喷漆涂层附着力", "标识"),
        0.75,
    ),
    "M12": CategoryProfile(
        0.06,
        ("日用品", "工贸", "实业", "日化"),
        (
            _p("电热水壶", "1.7L 1800W", "1.5L 1500W"),
            _p("电吹风", "1200W", "2000W"),
            _p("移动式插座", "10A 250V 四位", "10A 250V 六位"),
            _p("洗衣粉", "1.5kg/袋", "508g/袋"),
        ),
        ("接地措施", "发热", "标志和说明", "防触电保护", "总活性物含量"),
        0.8,
    ),
    "M13": CategoryProfile(
        0.04,
        ("农资", "工贸", "实业"),
        (
            _p("聚乙烯吹塑农用地面覆盖薄膜", "0.008mm×1200mm", "0.01mm×900mm"),
            _p("尿素", "40kg/袋", "50kg/袋"),
            _p("过磷酸钙", "40kg/袋", "50kg/袋"),
        ),
        ("拉伸负荷", "厚度", "总氮", "有效五氧化二磷", "水分"),
        0.85,
    ),
    "F01": CategoryProfile(
        0.25,
        ("面粉", "粮油", "米业", "食品"),
        (
            _p("小麦粉", "25kg/袋", "5kg/袋", "10kg/袋"),
            _p("大米", "25kg/袋", "10kg/袋", "5kg/袋"),
            _p("挂面", "1kg/袋", "500g/袋"),
            _p("玉米粉", "2.5kg/袋", "500g/袋"),
        ),
        ("黄曲霉毒素B₁", "脱氧雪腐镰刀菌烯醇", "过氧化苯甲酰", "铅（以Pb计）", "灰分"),
        0.95,
    ),
    "F02": CategoryProfile(
        0.2,
        ("肉类食品", "食品", "清真食品", "肉制品"),
        (
            _p("酱卤肉制品", "散装", "200g/袋", "/"),
            _p("火腿肠", "240g/袋", "80g/支"),
            _p("熏煮香肠", "散装", "400g/袋"),
            _p("腌腊肉制品", "散装", "500g/袋"),
        ),
        ("菌落总数", "大肠菌群", "亚硝酸盐（以NaNO₂计）", "苯甲酸及其钠盐", "胭脂红"),
        0.9,
    ),
    "F03": CategoryProfile(
        0.15,
        ("乳业", "乳品", "食品"),
        (
            _p("巴氏杀菌乳", "200mL/袋", "950mL/盒"),
            _p("灭菌乳", "250mL/盒", "200mL/袋"),
            _p("酸牛奶", "180g/杯", "100g×8杯"),
            _p("调制乳粉", "400g/袋", "900g/罐"),
        ),
        ("蛋白质", "非脂乳固体", "菌落总数", "酸度", "黄曲霉毒素M₁"),
        0.95,
    ),
    "F04": CategoryProfile(
        0.15,
        ("粮油", "油脂", "食用油", "食品"),
        (
            _p("大豆油", "5L/桶", "20L/桶", "散装"),
            _p("花生油", "5L/桶", "1.8L/瓶"),
            _p("玉米油", "5L/桶", "900mL/瓶"),
            _p("食用植物调和油", "5L/桶", "2.5L/桶"),
            _p("芝麻油", "400mL/瓶", "散装"),
        ),
        ("酸价", "过氧化值", "苯并[a]芘", "溶剂残留量", "黄曲霉毒素B₁"),
        0.85,
    ),
    "F05": CategoryProfile(
        0.25,
        ("餐饮", "餐饮管理", "餐饮服务"),
        (
            _p("馒头", "散装"),
            _p("油条", "散装", items=("铝的残留量（干样品，以Al计）",)),
            _p("凉拌菜", "散装"),
            _p("复用餐饮具", "/", items=("大肠菌群", "阴离子合成洗涤剂（以十二烷基苯磺酸钠计）")),
            _p("熟肉制品", "散装"),
        ),
        ("菌落总数", "大肠菌群", "亚硝酸盐", "苯甲酸及其钠盐", "糖精钠"),
        0.3,
    ),
    "A01": CategoryProfile(
        0.55,
        ("农业开发", "蔬菜种植", "农产品", "农业科技"),
        tuple(
            _p(name)
            for name in (
                "黄瓜",
                "番茄",
                "芹菜",
                "韭菜",
                "菠菜",
                "大白菜",
                "豇豆",
                "茄子",
                "甘蓝",
                "辣椒",
            )
        ),
        ("毒死蜱", "氧乐果", "甲胺磷", "克百威", "腐霉利", "啶虫脒", "甲拌磷"),
        0.1,
    ),
    "A02": CategoryProfile(
        0.3,
        ("养殖", "牧业", "畜牧", "禽业"),
        (
            _p("猪尿", items=("克伦特罗", "莱克多巴胺", "沙丁胺醇")),
            _p("牛尿", items=("克伦特罗", "莱克多巴胺", "沙丁胺醇")),
            _p("羊尿", items=("克伦特罗", "莱克多巴胺", "沙丁胺醇")),
            _p("猪肉", items=("克伦特罗", "磺胺类（总量）", "恩诺沙星")),
            _p("鸡蛋", items=("恩诺沙星", "氟苯尼考", "金刚烷胺")),
            _p("鸡肉", items=("恩诺沙星", "金刚烷胺", "磺胺类（总量）")),
        ),
        ("克伦特罗", "莱克多巴胺", "沙丁胺醇"),
        0.05,
    ),
    "A03": CategoryProfile(
        0.08,
        ("水产养殖", "渔业", "水产"),
        tuple(_p(name) for name in ("草鱼", "鲤鱼", "鲫鱼", "鲢鱼", "南美白对虾")),
        ("孔雀石绿", "硝基呋喃类代谢物", "氯霉素", "恩诺沙星"),
        0.05,
    ),
    "A04": CategoryProfile(
        0.07,
        ("奶牛养殖", "牧业", "乳业"),
        (_p("生鲜牛乳"),),
        ("三聚氰胺", "革皮水解物", "碱类物质", "黄曲霉毒素M₁"),
        0.0,
    ),
    "G01": CategoryProfile(
        0.45,
        ("果品", "林果", "果业"),
        tuple(_p(name) for name in ("苹果", "梨", "桃", "葡萄", "鲜枣", "杏", "李子")),
        ("毒死蜱", "氧乐果", "多菌灵", "克百威", "甲拌磷"),
        0.05,
    ),
    "G02": CategoryProfile(
        0.2,
        ("林产品", "林业", "农林"),
        (
            _p("核桃", "散装", "500g/袋"),
            _p("板栗", "散装", "500g/袋"),
            _p("干枣", "散装", "1kg/袋"),
            _p("香菇", "散装", "250g/袋"),
        ),
        ("铅（以Pb计）", "二氧化硫残留量", "黄曲霉毒素B₁", "毒死蜱"),
        0.4,
    ),
    "G03": CategoryProfile(
        0.2,
        ("木业", "板业", "人造板", "林产"),
        (
            _p("胶合板", "1220mm×2440mm×12mm", "1220mm×2440mm×18mm"),
            _p("细木工板", "1220mm×2440mm×17mm", "1220mm×2440mm×18mm"),
            _p("刨花板", "1220mm×2440mm×16mm", "1220mm×2440mm×18mm"),
            _p("实木复合地板", "910mm×125mm×15mm", "1210mm×165mm×15mm"),
        ),
        ("甲醛释放量", "含水率", "胶合强度", "静曲强度", "内结合强度"),
        0.9,
    ),
    "G04": CategoryProfile(
        0.15,
        ("苗木", "园林绿化", "种苗"),
        (
            _p("毛白杨苗木", "Ⅰ级苗 地径2.0cm", "Ⅱ级苗 地径1.5cm"),
            _p("国槐苗木", "胸径3cm", "胸径5cm"),
            _p("白蜡苗木", "胸径4cm", "胸径6cm"),
            _p("油松种子", "1kg/袋"),
        ),
        ("苗高", "地径", "检疫对象", "发芽率", "净度"),
        0.2,
    ),
    "R01": CategoryProfile(
        1.0,
        ("科技", "实业", "工贸", "电子"),
        (
            _p("电动自行车", "TDR-1201Z", "TDT-0906Z", items=("制动性能", "最高车速", "整车质量")),
            _p("电热毯", "150cm×70cm", "150cm×120cm", items=("温升", "电气强度", "泄漏电流")),
            _p("电动车充电器", "48V 2.5A", "60V 3A", items=("温升", "电气强度", "输出特性")),
            _p("儿童安全座椅", "ISOFIX 9-36kg", "0-18kg", items=("动态试验", "阻燃性能")),
            _p("学生文具（修正液）", "18mL", items=("苯", "甲苯", "三氯乙烷")),
        ),
        ("温升", "电气强度", "标志"),
        0.8,
    ),
}

UNKNOWN_COUNTIES = ("北京市朝阳区", "廊坊市新区", "天津市武清区", "保定市雄县", "廊坊市市辖区")
UNKNOWN_VERDICTS = ("待定", "基本合格", "复检中", "见报告", "暂不判定")


def _category_profile(category: Mapping[str, str]) -> CategoryProfile:
    profile = CATEGORIES.get(category["category_code"])
    if profile is not None:
        return profile
    name = category["category_name"]
    return CategoryProfile(0.05, ("制品", "科技"), (_p(name),), ("标志",), 0.5)


def _choice(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def _batch_label(rng: random.Random, sampled: dt.date, stream: str) -> str:
    # Food is sampled fresh; durable goods may sit in stock for months.
    max_age = 30 if stream in ("food", "agricultural") else 120
    made = sampled - dt.timedelta(days=rng.randint(1, max_age))
    roll = rng.random()
    if roll < 0.6:
        return made.isoformat()
    if roll < 0.8:
        return made.strftime("%Y%m%d")
    if roll < 0.9:
        return f"{made.year}/{made.month:02d}/{made.day:02d}"
    return f"{made.strftime('%Y%m%d')}{rng.choice('ABCDEFG')}{rng.randint(1, 9)}"


@dataclass(frozen=True)
class _Cell:
    """One (county, category) cell of a stream with its enterprise pool."""

    county: Mapping[str, str]
    category: Mapping[str, str]
    profile: CategoryProfile
    weight: float
    enterprises: tuple[Enterprise, ...]
    enterprise_weights: tuple[float, ...]


def _build_cells(
    registry: EnterpriseRegistry,
    profile: StreamProfile,
    scale: float,
    counties: Sequence[Mapping[str, str]],
    categories: Sequence[Mapping[str, str]],
) -> list[_Cell]:
    """Cells with their share of the stream's batches; pools are sized so an enterprise is
    visited a few times a year, which gives repeated sampling over time."""
    raw: list[tuple[Mapping[str, str], Mapping[str, str], CategoryProfile, float]] = []
    for county in counties:
        county_weight = COUNTY_WEIGHTS.get(county["county_code"], 1.0)
        for category in categories:
            category_profile = _category_profile(category)
            affinity = COUNTY_CATEGORY_AFFINITY.get(
                (county["county_code"], category["category_code"]), 1.0
            )
            weight = county_weight * category_profile.weight * affinity
            raw.append((county, category, category_profile, weight))
    total_weight = sum(item[3] for item in raw)
    yearly = profile.batches_per_year * scale
    cells = []
    for county, category, category_profile, weight in raw:
        expected = yearly * weight / total_weight
        size = max(2, math.ceil(expected / profile.visits_per_enterprise))
        pool = registry.pool(county, category["category_code"], category_profile.industries, size)
        # A few enterprises are visited much more often than the rest (big producers).
        weights = tuple(1.0 / (rank + 1) ** 0.6 for rank in range(len(pool)))
        cells.append(_Cell(county, category, category_profile, weight, tuple(pool), weights))
    return cells


def _pass_rate(
    seed: int, stream: str, profile: StreamProfile, county_code: str, year: int
) -> float:
    """Pass rate for a county and year: a stable county level plus yearly noise and a small
    improvement trend, mapped into the stream's plausible range."""
    level = rng_for(seed, "pass-level", stream, county_code).uniform(0.2, 0.8)
    noise = rng_for(seed, "pass-noise", stream, county_code, year).uniform(-0.2, 0.2)
    trend = 0.1 * (year - 2015)
    position = min(1.0, max(0.0, level + noise + trend))
    low, high = profile.pass_range
    return low + (high - low) * position


def _verdict(rng: random.Random, passed: bool, layout: PublisherLayout) -> str:
    spellings = layout.verdicts
    pass_word, fail_word, _ = rng.choices(spellings, [weight for *_, weight in spellings])[0]
    return pass_word if passed else fail_word


def _mutate_credit_code(rng: random.Random, code: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        # Any single changed position breaks the GB 32100 checksum: weights are non-zero mod 31.
        position = rng.randrange(len(code) - 1)
        replacement = rng.choice([char for char in CHARSET if char != code[position]])
        return code[:position] + replacement + code[position + 1 :]
    if roll < 0.8:
        return code[:-1]
    return code + rng.choice(CHARSET)


def _bad_date(rng: random.Random, sampled: dt.date) -> str:
    return rng.choice(
        (
            f"{sampled.year}-13-45",
            f"{chinese_number(sampled.month)}月{chinese_number(sampled.day)}日",
            f"{sampled.year}-02-30",
            f"{sampled.year}-{sampled.month:02d}-00",
        )
    )


def _inject_error(rng: random.Random, kind: str, row: dict[str, Any], sampled: dt.date) -> None:
    if kind == "unknown_county":
        row["county_code"] = rng.choice(UNKNOWN_COUNTIES)
    elif kind == "bad_credit_code":
        row["credit_code"] = _mutate_credit_code(rng, row["credit_code"])
    elif kind == "unknown_verdict":
        row["verdict"] = rng.choice(UNKNOWN_VERDICTS)
    elif kind == "bad_date":
        row["sampled_on"] = _bad_date(rng, sampled)
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


@dataclass(frozen=True)
class _Batch:
    """One sampled batch: when it was sampled and its row keyed by contract column name."""

    sampled: dt.date
    row: dict[str, Any]


def _month_batches(
    *,
    seed: int,
    stream_row: Mapping[str, str],
    profile: StreamProfile,
    layout: PublisherLayout,
    cells: Sequence[_Cell],
    year: int,
    month: int,
    count: int,
    pass_rates: Mapping[str, float],
    counters: defaultdict[str, int],
) -> list[_Batch]:
    """The clean batches of one (stream, year, month) list, in publication order."""
    stream = stream_row["stream_code"]
    rng = rng_for(seed, FEED, stream, year, month)
    days = working_days(year, month)
    cell_weights = [cell.weight for cell in cells]
    drafts = []
    for _ in range(count):
        cell = rng.choices(cells, cell_weights)[0]
        weekend = rng.random() < 0.03
        day = rng.randint(1, 28) if weekend else rng.choice(days).day
        drafts.append((dt.date(year, month, day), cell, rng.random()))
    county_order = {cell.county["county_code"]: i for i, cell in enumerate(cells)}
    # Published lists run by date, then county; the draw order breaks ties deterministically.
    drafts.sort(key=lambda d: (d[0], county_order[d[1].county["county_code"]], d[2]))
    batches = []
    for sampled, cell, _ in drafts:
        county = cell.county
        counters[county["county_code"]] += 1
        number = f"{division_code(county)}-{counters[county['county_code']]:06d}"
        passed = rng.random() < pass_rates[county["county_code"]]
        row = _batch_row(rng, profile, layout, stream_row, cell, sampled, number, passed)
        batches.append(_Batch(sampled, row))
    return batches


def _batch_row(
    rng: random.Random,
    profile: StreamProfile,
    layout: PublisherLayout,
    stream_row: Mapping[str, str],
    cell: _Cell,
    sampled: dt.date,
    number: str,
    passed: bool,
) -> dict[str, Any]:
    """A batch's row as its publisher writes it, keyed by contract column name; `number` is the
    county part of its 抽样编号."""
    stream = stream_row["stream_code"]
    county = cell.county
    rank = rng.choices(range(len(cell.enterprises)), cell.enterprise_weights)[0]
    enterprise = cell.enterprises[rank]
    products = cell.profile.products
    # Enterprises keep to their own product line most of the time.
    product = products[rank % len(products)] if rng.random() < 0.85 else rng.choice(products)
    items = "/"
    if not passed:
        pool = product.fail_items or cell.profile.fail_items
        items = "、".join(rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 1, 2, 3)))))
    style = rng.choices(("iso", "slash", "chinese"), (0.9, 0.05, 0.05))[0]
    sampled_value: Any = date_variant(sampled, style)
    if layout.file_type == "xlsx" and style == "iso":
        sampled_value = sampled  # Excel users type real dates; variants stay text
    has_batch = rng.random() < cell.profile.batch_share
    return {
        "sample_no": f"{profile.prefix}{sampled.year}-{number}",
        "stream_code": stream_row["stream_name"],
        "sampled_on": sampled_value,
        "county_code": county["short_name"] if rng.random() < 0.1 else county["county_name"],
        # one enterprise, written in the role its publisher's layout names
        "sampled_unit_name": enterprise.name,
        "manufacturer_name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "category_code": cell.category["category_name"],
        "product_name": product.name,
        "spec_model": rng.choice(product.specs),
        "batch_no": _batch_label(rng, sampled, stream) if has_batch else "/",
        "sampling_org": _choice(rng, profile.sampling_orgs).format(county=county["county_name"]),
        "inspection_agency": _choice(rng, profile.agencies),
        "verdict": _verdict(rng, passed, layout),
        "nonconforming_items": items,
    }


def _with_errors(
    seed: int,
    stream: str,
    year: int,
    month: int,
    batches: Sequence[_Batch],
    error_rate: float,
    errors: Counter[str],
) -> list[dict[str, Any]]:
    """The delivered rows: a share `error_rate` of them with exactly one contract violation.
    Errors draw from their own generator, so the clean content is the same at any rate."""
    error_rng = rng_for(seed, FEED, "errors", stream, year, month)
    rows = []
    for batch in batches:
        row = dict(batch.row)
        if error_rng.random() < error_rate:
            kind = error_rng.choice(ERROR_KINDS)
            _inject_error(error_rng, kind, row, batch.sampled)
            errors[kind] += 1
        rows.append(row)
    return rows


def _corrected(
    rng: random.Random,
    batches: Sequence[_Batch],
    extra: dict[str, Any],
    layout: PublisherLayout,
) -> list[dict[str, Any]]:
    """The month's corrected list: a failed batch that passed its 复检 (re-test), a withdrawn
    无效样品 removed, and a batch the first list missed (补报) added at the end."""
    rows = [dict(batch.row) for batch in batches]
    failed = [row for row in rows if row["nonconforming_items"] != "/"]
    if failed:
        retested = rng.choice(failed)
        retested["verdict"] = layout.verdicts[0][0]
        retested["nonconforming_items"] = "/"
    rows.pop(rng.randrange(len(rows)))
    rows.append(extra)
    return rows


def _table(layout: PublisherLayout, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Rows in the layout's columns, a running number first, empties spelt the layout's way."""
    table = []
    for number, row in enumerate(rows, start=1):
        values: list[Any] = [number]
        for name in layout.headers:
            if name == "county_code" and layout.two_row_header:
                values.append("廊坊市")  # the 市 column under the merged 行政区划
            value = row[name]
            values.append((layout.empty or None) if value == "/" else value)
        table.append(values)
    return table


def _header(layout: PublisherLayout) -> list[HeaderCell]:
    cells: list[HeaderCell] = [("序号", None)]
    for name, header in layout.headers.items():
        if name == "county_code" and layout.two_row_header:
            cells.append(CITY_COLUMN)
        cells.append(header if isinstance(header, tuple) else (header, None))
    return cells


def _write(
    path: Path, layout: PublisherLayout, title: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    header = _header(layout)
    table = _table(layout, rows)
    if layout.file_type == "xlsx":
        write_table_xlsx(path, XLSX_SHEET, title, header, table)
    else:
        write_csv(path, [top for top, _ in header], table, layout.encoding)


def delivered_at(year: int, month: int, day: int = DELIVERY_DAY) -> dt.datetime:
    """When a month's results file is delivered (naive Asia/Shanghai time): the `day` of the
    next month. Files carry it as their modification time: never "just written", so no run
    waits for them to settle."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime.combine(dt.date(next_year, next_month, day), DELIVERY_TIME)


def generate_spot_checks(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/spot_checks/<stream>/<YYYY-MM>/<YYYY-MM>_<stream>.{csv,xlsx}` for every
    stream and month of `years` (and each year's corrected `…_更正` list), each with its
    modification time set to its delivery time (delivered_at). Files are rewritten in place;
    nothing else in `out_dir` is touched."""
    check_arguments(scale, error_rate)
    contract = load_contract(FEED)
    landing = Path(out_dir) / contract.landing_dir
    counties = load_seed("ref_counties")
    categories = load_seed("ref_product_categories")
    streams = load_seed("ref_spot_check_streams")

    # Pools are built once, in seed order, so an enterprise is the same in every year.
    registry = EnterpriseRegistry(seed)
    cells_by_stream = {}
    for stream_row in streams:
        stream = stream_row["stream_code"]
        stream_categories = [c for c in categories if c["stream_code"] == stream]
        if not stream_categories:
            continue
        profile = STREAMS.get(stream, _DEFAULT_STREAM)
        cells_by_stream[stream] = _build_cells(
            registry, profile, scale, counties, stream_categories
        )

    out = Deliveries(ERROR_KINDS, ("redeliveries",))
    for year in sorted(set(years)):
        corrected_month = rng_for(seed, FEED, "redelivery", year).randint(3, 11)
        for stream_row in streams:
            stream = stream_row["stream_code"]
            if stream not in cells_by_stream:
                continue
            profile = STREAMS.get(stream, _DEFAULT_STREAM)
            layout = LAYOUTS.get(stream, _DEFAULT_LAYOUT)
            month_counts = allocate(round(profile.batches_per_year * scale), profile.months)
            pass_rates = {
                county["county_code"]: _pass_rate(
                    seed, stream, profile, county["county_code"], year
                )
                for county in counties
            }
            counters: defaultdict[str, int] = defaultdict(int)
            for month, count in enumerate(month_counts, start=1):
                batches = _month_batches(
                    seed=seed,
                    stream_row=stream_row,
                    profile=profile,
                    layout=layout,
                    cells=cells_by_stream[stream],
                    year=year,
                    month=month,
                    count=count,
                    pass_rates=pass_rates,
                    counters=counters,
                )
                rows = _with_errors(seed, stream, year, month, batches, error_rate, out.errors)
                stem = f"{year}-{month:02d}_{stream}"
                folder = landing / stream / f"{year}-{month:02d}"
                title = f"廊坊市{year}年{month}月{stream_row['stream_name']}抽查结果"
                path = folder / f"{stem}.{layout.file_type}"
                _write(path, layout, title, rows)
                out.add(path, len(rows), delivered_at(year, month))
                if stream != CORRECTED_STREAM or month != corrected_month or len(batches) < 2:
                    continue
                fix = rng_for(seed, FEED, "correction", stream, year, month)
                cell = fix.choice(cells_by_stream[stream])
                county_code = cell.county["county_code"]
                # numbers from 900000 up are kept for late entries, clear of the running ones
                number = f"{division_code(cell.county)}-9{month:05d}"
                sampled = fix.choice(working_days(year, month))
                extra = _batch_row(
                    fix,
                    profile,
                    layout,
                    stream_row,
                    cell,
                    sampled,
                    number,
                    fix.random() < pass_rates[county_code],
                )
                fixed_path = folder / f"{stem}_更正.{layout.file_type}"
                _write(
                    fixed_path, layout, title + "（更正）", _corrected(fix, batches, extra, layout)
                )
                out.add(fixed_path, len(batches), delivered_at(year, month, CORRECTION_DAY))
                out.other["redeliveries"] += 1
    return out.summary()
