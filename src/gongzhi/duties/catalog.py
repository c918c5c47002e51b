"""The demo duty catalog (职责清单) and community admission list (社区事务准入清单).

The catalog is built at run time from a real three-level classification of citizens' messages to a provincial
government board (2020 Teddy Cup problem C, 附件1: 15 first-level, 118 second-level and 517 third-level
entries; `settings.data_dir/teddycup2020-c-gov-messages/csv/a1_label_taxonomy.csv`, read, never copied
here). Levels one and two become `DutyCategory` rows, each third-level row one `MatterType`. Departments,
tiers, time limits and keywords are not in the source: the rules below assign them from the names, so the
same file always gives the same catalog (docs/duties.md explains each rule). The admission list is a fixed
template with Yantai's counts (52 / 58 / 2 / 45), copied to every community.

Everything here is written with bulk inserts and is idempotent: rows whose code exists are left alone."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gongzhi.core.settings import get_settings
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.regions.models import Region

TAXONOMY = Path("teddycup2020-c-gov-messages") / "csv" / "a1_label_taxonomy.csv"

# ---- departments ------------------------------------------------------------------------------------------

# 职能部门 of a county-level city, with the public utilities and the Party and mass organisations that the
# taxonomy's first levels (党务政务, 纪检监察, 群众团体) need. Codes are pinyin initials of the usual short names.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("CGJ", "城市管理局"), ("ZJJ", "住房和城乡建设局"), ("ZRJ", "自然资源和规划局"), ("HBJ", "生态环境局"),
    ("JTJ", "交通运输局"), ("GAJ", "公安局"), ("JYJ", "教育体育局"), ("WJJ", "卫生健康局"),
    ("RSJ", "人力资源和社会保障局"), ("YBJ", "医疗保障局"), ("MZJ", "民政局"), ("TJJ", "退役军人事务局"),
    ("SJJ", "市场监督管理局"), ("SWJ", "水务局"), ("NYJ", "农业农村局"), ("LCJ", "林业和草原局"),
    ("YJJ", "应急管理局"), ("WLJ", "文化和旅游局"), ("SHJ", "商务局"), ("FGJ", "发展和改革局"),
    ("CZJ", "财政局"), ("GXJ", "工业和信息化局"), ("KJJ", "科学技术局"), ("SFJ", "司法局"),
    ("XFJ", "信访局"), ("ZFB", "政府办公室"), ("FY", "人民法院"), ("JW", "纪委监委"), ("ZZB", "组织部"),
    ("XCB", "宣传部"), ("TZB", "统战部"), ("WZB", "人民武装部"), ("ZGH", "总工会"), ("TW", "共青团委员会"),
    ("FL", "妇女联合会"), ("XFJY", "消防救援大队"), ("GDGS", "供电公司"), ("RQGS", "燃气公司"),
    ("ZLSGS", "自来水公司"),
)

# Lead department: the first rule that matches wins — the third-level name, then the second, then the first.
LEAD_BY_L1 = {
    "城乡建设": "ZJJ", "党务政务": "ZFB", "国土资源": "ZRJ", "环境保护": "HBJ", "纪检监察": "JW", "交通运输": "JTJ",
    "经济管理": "FGJ", "科技与信息产业": "GXJ", "民政": "MZJ", "农村农业": "NYJ", "商贸旅游": "SHJ",
    "卫生计生": "WJJ", "政法": "GAJ", "教育文体": "JYJ", "劳动和社会保障": "RSJ",
}
LEAD_BY_L2 = {
    "安全生产": "YJJ", "城市建设和市政管理": "CGJ", "城乡规划": "ZRJ", "集体土地上房屋拆迁与补偿": "ZRJ",
    "党的建设": "ZZB", "港澳台侨": "TZB", "民族宗教": "TZB", "国防外交": "WZB", "群众团体": "ZGH",
    "宣传舆论": "XCB", "海洋气象地震": "YJJ", "保险证券期货": "CZJ", "国资监管": "CZJ", "金融财税": "CZJ",
    "企业破产": "GXJ", "科学技术": "KJJ", "知识产权": "SJJ", "复退安置": "TJJ", "优抚": "TJJ",
    "草原草场": "LCJ", "林业管理": "LCJ", "野生资源管理": "LCJ", "水库移民": "SWJ", "水利水电": "SWJ",
    "旅游管理": "WLJ", "市场监管": "SJJ", "质监检验检疫": "SJJ", "食品药品监管": "SJJ", "法律服务": "SFJ",
    "法制建设": "SFJ", "行政复议": "SFJ", "诉讼": "FY", "刑罚执行": "SFJ", "仲裁与调解": "SFJ", "文化": "WLJ",
    "文物管理": "WLJ",
}
LEAD_BY_L3 = {
    "公共汽车": "JTJ", "地铁城铁": "JTJ", "冬季采暖": "ZJJ", "燃气供应": "RQGS", "电力供应": "GDGS",
    "自来水供应": "ZLSGS", "小区管理": "ZJJ", "基础设施": "ZJJ", "居民服务设施": "ZJJ", "违章建筑": "CGJ",
    "房产证登记、办理": "ZRJ", "产权交易": "ZRJ", "廉政建设": "JW", "作风建设": "JW", "工会工作": "ZGH",
    "共青团工作": "TW", "妇联工作": "FL", "统战工作": "TZB", "海洋": "ZRJ", "失地农民保障": "RSJ",
    "淘汰落后产能补偿": "GXJ", "依法破产": "FY", "粮食储备": "FGJ", "劳务输出": "RSJ", "医疗收费": "YBJ",
    "消防安全": "XFJY", "人事仲裁": "RSJ", "劳动仲裁": "RSJ", "生效法律文书执行": "FY", "城镇居民医疗保险": "YBJ",
    "新农村合作医疗": "YBJ", "职工医疗保险": "YBJ", "职工生育保险": "YBJ", "水土流失": "SWJ",
}

# Assisting departments: every rule whose words occur in the third-level (or second-level) name adds its
# departments, in order; the lead is skipped and at most two are kept.
ASSISTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("噪音",), ("GAJ", "CGJ")),
    (("违章建筑",), ("ZRJ",)),
    (("物业服务", "小区管理"), ("SJJ",)),
    (("燃气供应", "电力供应", "冬季采暖"), ("ZJJ",)),
    (("自来水供应",), ("SWJ",)),
    (("拖欠工程款",), ("RSJ",)),
    (("农民工权益",), ("ZJJ",)),
    (("房屋拆迁", "安置补偿", "回迁房", "棚户区", "危房改造", "房屋征收"), ("ZRJ", "ZJJ")),
    (("食品安全", "保健品"), ("WJJ",)),
    (("医患纠纷", "医疗事故", "污染损害纠纷", "土地权属纠纷", "水事纠纷", "宅基地纠纷"), ("SFJ",)),
    (("网约车", "骗购", "传销", "集资融资", "非法经济活动", "非法行医", "校园安全", "社区矫正", "生活无着"),
     ("GAJ",)),
    (("医疗收费",), ("WJJ",)),
    (("失地农民",), ("ZRJ",)),
    (("突发公共卫生", "安全隐患", "消防安全", "森林防火", "防汛抗旱", "救灾管理", "抗震防灾", "危险化学品",
      "劳动安全", "安全防护"), ("YJJ",)),
    (("事故处理",), ("GAJ",)),
    (("惠农补贴", "扶贫开发资金"), ("CZJ",)),
    (("动物防疫", "疫情防控"), ("SJJ",)),
    (("运价监管", "物价监督", "教育收费", "乱收费"), ("SJJ", "FGJ")),
    (("矿山地质环境",), ("HBJ",)),
    (("住房公积金",), ("CZJ",)),
)
CATCH_ALL_ASSIST = "XFJ"  # 信访局 helps with every second-level 其他 (it sorts out what nobody owns)

# ---- tiers and time limits --------------------------------------------------------------------------------

# 分级化解: the lowest tier that can settle the matter. Anything not listed goes to the department.
GRID_MATTERS = frozenset({"园林绿化环卫", "环境卫生", "园林绿化", "城管执法", "城市公共设施", "噪音污染", "固体污染"})
COMMUNITY_MATTERS = frozenset({
    "小区管理", "物业服务", "居民服务设施", "修缮装修", "社区建设", "居委会选举", "村委会选举", "村务公开",
    "集体财务公开", "流动人口管理", "计划生育服务管理", "独生子女父母奖励政策", "失独家庭", "城镇低保", "农村低保",
    "特困人员供养", "城乡居民养老保险", "城镇居民医疗保险", "新农村合作医疗", "宅基地纠纷", "农村“八大员”问题",
})
STREET_MATTERS = frozenset({
    "违章建筑", "房屋拆迁", "安置补偿", "回迁房", "棚户区和城中村改造", "城镇危房改造", "拖欠工程款", "农民工权益",
    "土地占地", "土地权属纠纷", "水事纠纷", "边界纠纷", "司法调解", "社区矫正", "防汛抗旱", "森林防火", "救灾管理",
    "安全隐患", "新农村建设", "小城镇建设", "生活无着人员救助", "集体资产管理", "村级债务", "土地流转", "土地承包",
})
# Danger or a household without a basic service: accepted within 2 working hours.
URGENT_WORDS = ("事故", "安全隐患", "燃气供应", "电力供应", "自来水供应", "冬季采暖", "突发公共卫生", "疫情",
                "食品安全", "消防", "危险化学品", "放射性", "校园安全", "运输安全", "施工安全", "特种设备", "拐卖",
                "防汛", "森林防火", "救灾", "生活无着", "治安案件", "恐怖", "黄赌毒")
OUTAGE_WORDS = ("燃气供应", "电力供应", "自来水供应", "冬季采暖")  # restored within one working day
# Matters bound to a statutory procedure (a lawsuit, a review, an approval, an investigation): 15 days.
PROCEDURE_WORDS = ("诉讼", "复议", "仲裁", "审批", "规划", "处分", "征收", "破产", "立法", "改革", "鉴定", "评估",
                   "知识产权", "侦查", "侦破", "执行", "选举", "登记")
TIER_LIMITS = {"grid": (4, 3), "community": (8, 5), "street": (8, 10), "department": (24, 10)}  # hours, days

# ---- keywords ---------------------------------------------------------------------------------------------

GENERIC = frozenset({
    "其他", "管理", "问题", "建设", "服务", "工作", "政策", "事务", "监管", "工程", "事项", "安全", "污染", "发展",
    "规划", "保障", "监督", "执法", "建筑", "经营", "市场", "行业", "制度", "体制", "事业", "资源", "设施",
    "处理", "保护", "公共", "社会", "改革", "其他污染", "待遇", "人员", "纠纷", "补偿", "综合", "供应", "居民",
    "基础", "方案", "城市", "城乡", "生产", "设计",
})
SUFFIXES = ("管理", "问题", "工作", "政策", "服务", "建设", "监管")
# Words residents use for a matter, beside its official name (title and description are matched against all).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "园林绿化环卫": ("树木", "修剪", "绿地", "草坪", "清扫", "保洁"),
    "环境卫生": ("垃圾", "清运", "保洁", "脏乱", "异味", "公厕", "垃圾桶", "清扫", "卫生死角"),
    "园林绿化": ("树木", "修剪", "砍树", "绿化带", "行道树", "枯树", "树枝"),
    "城管执法": ("占道", "占道经营", "摆摊", "流动摊贩", "乱摆", "店外经营", "小广告", "乱贴"),
    "城市公共设施": ("路灯", "井盖", "护栏", "公厕", "垃圾桶", "座椅", "不亮"),
    "基础设施": ("道路", "路面", "坑洼", "下水道", "排水", "积水", "管网", "人行道"),
    "噪音污染": ("噪音", "噪声", "扰民", "吵闹", "太吵", "广场舞", "夜间施工", "音响", "喇叭"),
    "大气污染": ("油烟", "烟尘", "扬尘", "废气", "臭味", "焚烧", "露天烧烤"),
    "水污染": ("污水", "排污", "黑臭", "偷排"),
    "固体污染": ("垃圾堆放", "建筑垃圾", "渣土", "倾倒", "乱倒"),
    "燃气供应": ("燃气", "天然气", "煤气", "漏气", "停气"),
    "电力供应": ("停电", "断电", "电压", "供电", "电线", "跳闸"),
    "自来水供应": ("停水", "水压", "水质", "自来水", "水管", "爆管"),
    "冬季采暖": ("暖气", "供暖", "采暖", "不热", "取暖"),
    "公共汽车": ("公交", "公交车", "站台", "班次", "线路"),
    "地铁城铁": ("地铁", "轻轨"),
    "小区管理": ("小区", "电梯", "门禁", "停车位", "楼道", "高空抛物", "犬只", "养狗", "消防通道"),
    "物业服务": ("物业", "物业费", "物业公司", "保安", "维修基金", "业委会", "业主"),
    "居民服务设施": ("健身器材", "活动室", "社区食堂", "便民"),
    "修缮装修": ("装修", "漏水", "渗水", "楼上", "防水"),
    "违章建筑": ("违建", "私搭乱建", "加建", "搭建", "阁楼", "楼顶"),
    "房屋拆迁": ("拆迁", "强拆"),
    "安置补偿": ("补偿款", "安置"),
    "回迁房": ("回迁",),
    "棚户区和城中村改造": ("棚改", "城中村", "旧改"),
    "保障性住房": ("公租房", "廉租房", "经适房"),
    "住房公积金": ("公积金",),
    "房产证登记、办理": ("房产证", "不动产", "产权证", "办证"),
    "房屋租赁": ("租房", "房东", "租客", "押金"),
    "房地产开发管理": ("开发商", "交房", "烂尾", "楼盘"),
    "拖欠工程款": ("工程款",),
    "农民工权益": ("欠薪", "讨薪", "拖欠工资", "农民工"),
    "工资发放": ("拖欠工资", "欠薪", "发工资"),
    "交通安全管理": ("乱停车", "违停", "红绿灯", "信号灯", "斑马线"),
    "交通事故": ("车祸", "撞车"),
    "机动车和驾驶员管理": ("驾照", "驾驶证", "年检", "车牌"),
    "网约车问题": ("网约车", "滴滴"),
    "治安案件": ("打架", "盗窃", "小偷", "被偷", "斗殴"),
    "消防安全": ("火灾", "着火", "灭火器", "飞线充电", "电动车充电"),
    "户籍管理": ("户口", "落户", "迁户"),
    "身份证管理": ("身份证",),
    "食品安全": ("食品", "过期", "变质", "食物中毒", "餐馆", "外卖"),
    "药品和医疗器械管理": ("药品", "假药", "药店"),
    "商品质量": ("假货", "伪劣", "质量差"),
    "物价监督": ("涨价", "标价", "价格欺诈"),
    "城镇低保": ("低保",),
    "农村低保": ("低保",),
    "特困人员供养": ("特困", "五保"),
    "城乡居民养老保险": ("养老金", "养老保险"),
    "城镇居民医疗保险": ("医保", "报销"),
    "疾病预防控制": ("疫苗", "接种", "传染病"),
    "非法行医": ("黑诊所", "无证行医"),
    "医疗技术和服务": ("医院", "医生", "误诊"),
    "校园安全": ("校园", "校车"),
    "学生负担": ("作业", "补课"),
    "校外机构管理": ("培训机构", "补习班", "退费"),
    "招生录取": ("入学", "学位", "划片"),
    "就业和再就业": ("找工作", "失业"),
    "劳动合同纠纷": ("劳动合同", "辞退"),
    "社区建设": ("社区", "居委会"),
    "流动人口管理": ("外来人口", "暂住", "居住证", "出租屋"),
    "计划生育服务管理": ("生育登记", "二孩", "三孩"),
    "婚姻登记": ("结婚", "离婚", "结婚证"),
    "殡葬管理": ("墓地", "丧葬", "骨灰", "殡仪"),
    "野生动植物保护": ("野生动物", "捕猎"),
    "森林防火": ("山火", "烧荒", "野外用火"),
    "防汛抗旱": ("防汛", "内涝", "洪水", "干旱"),
    "宅基地纠纷": ("宅基地",),
    "景区管理": ("景区", "门票"),
    "旅游市场管理": ("旅行社", "导游", "强制购物"),
    "快递市场管理": ("快递", "包裹", "丢件"),
    "通信保障": ("手机信号", "基站"),
    "电信资费": ("话费", "宽带", "流量", "扣费"),
}

# Certificates residents ask a community for. The taxonomy has no such matter, but the admission list needs
# one to refuse (不得出具) or accept (可出具): (second-level name, name, lead, kind, where to go instead).
CERTIFICATES: tuple[tuple[str, str, str, str, str], ...] = (
    ("户籍证件", "开具亲属关系证明", "GAJ", "must_not_certify", "户籍所在地公安派出所或公证机构"),
    ("户籍证件", "开具无犯罪记录证明", "GAJ", "must_not_certify", "户籍所在地或居住地公安派出所"),
    ("社会服务", "开具婚姻状况证明", "MZJ", "must_not_certify", "婚姻登记机关（民政局婚姻登记处）"),
    ("人口计生", "开具出生证明", "WJJ", "must_not_certify", "出生的医疗机构"),
    ("人口计生", "开具死亡证明", "WJJ", "must_not_certify", "医疗机构（正常死亡）或公安派出所（非正常死亡）"),
    ("住房保障与房地产", "开具无房证明", "ZRJ", "must_not_certify", "不动产登记中心"),
    ("基层选举和社区建设", "开具居住证明", "MZJ", "may_certify", ""),
    ("社会救助", "开具困难群众生活状况证明", "MZJ", "may_certify", ""),
)


# ---- the plan: pure functions of the taxonomy -------------------------------------------------------------

@dataclass(frozen=True)
class CategoryPlan:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass
class MatterPlan:
    code: str
    name: str
    category_code: str
    lead: str
    assists: list[str]
    tier: str
    accept_hours: int
    resolve_days: int
    keywords: list[str] = field(default_factory=list)


def taxonomy_path() -> Path:
    return get_settings().data_dir / TAXONOMY


def read_taxonomy(path: Path | None = None) -> list[tuple[str, str, str]]:
    """The (level 1, level 2, level 3) rows of the source, in file order."""
    with (path or taxonomy_path()).open(encoding="utf-8-sig", newline="") as f:
        return [(r["一级分类"].strip(), r["二级分类"].strip(), r["三级分类"].strip()) for r in csv.DictReader(f)]


def matter_name(l1: str, l2: str, l3: str) -> str:
    """A third-level 其他 gets its parents' name, so no matter type is called just 其他."""
    if l3 != "其他":
        return l3
    return f"其他{l1 if l2 == '其他' else l2}事项"


def lead_for(l1: str, l2: str, l3: str) -> str:
    return LEAD_BY_L3.get(l3) or (LEAD_BY_L2.get(l2) if l2 != "其他" else None) or LEAD_BY_L1[l1]


def assists_for(l2: str, l3: str, lead: str) -> list[str]:
    found: list[str] = []
    for words, codes in ASSISTS:
        if any(w in l3 or w in l2 for w in words):
            found += codes
    if l2 == "其他":
        found.append(CATCH_ALL_ASSIST)
    return [c for c in dict.fromkeys(found) if c != lead][:2]


def tier_for(l3: str) -> str:
    if l3 in GRID_MATTERS:
        return "grid"
    if l3 in COMMUNITY_MATTERS:
        return "community"
    if l3 in STREET_MATTERS:
        return "street"
    return "department"


def limits_for(l1: str, l2: str, l3: str, tier: str) -> tuple[int, int]:
    """(accept_hours, resolve_days): urgent first, then statutory procedures, then the tier's default."""
    name = l2 + l3
    if any(w in name for w in OUTAGE_WORDS):
        return 2, 1
    if any(w in name for w in URGENT_WORDS):
        return 2, 3
    hours, days = TIER_LIMITS[tier]
    if l1 == "纪检监察" or any(w in name for w in PROCEDURE_WORDS):
        days = 15
    return hours, days


def _terms(name: str) -> list[str]:
    """A name split into the words someone might type: conjunctions split it, generic endings are dropped,
    and names of four or six characters also give their two-character halves (园林绿化环卫 → 园林、绿化、环卫)."""
    out: list[str] = []
    for part in re.split(r"以及|[和与及、“”]", name):
        for suffix in SUFFIXES:
            if part.endswith(suffix) and len(part) > len(suffix) + 1:
                part = part[: -len(suffix)]
        if len(part) < 2 or part in GENERIC:
            continue
        out.append(part)
        if len(part) in (4, 6):
            out += [part[i:i + 2] for i in range(0, len(part), 2) if part[i:i + 2] not in GENERIC]
    return out


def keywords_for(l2: str, l3: str, name: str) -> list[str]:
    words = [name, *_terms(l3), *SYNONYMS.get(l3, ()), *_terms(l2)]
    return [w for w in dict.fromkeys(words) if w not in GENERIC and not re.search(r"[、,，;；\s]", w)]


def plan_catalog(rows: Iterable[tuple[str, str, str]]) -> tuple[list[CategoryPlan], list[MatterPlan]]:
    """Categories and matter types from the taxonomy, with codes that depend only on the file's order:
    level 1 `C01`, level 2 `C0103`, matter `M0103-02` (its row within the level-2 category); certificate
    matters added for the admission list take `-91` onwards in their category."""
    categories: list[CategoryPlan] = []
    l1_codes: dict[str, str] = {}
    l2_codes: dict[tuple[str, str], str] = {}
    matters: list[MatterPlan] = []
    counts: dict[str, int] = {}
    for l1, l2, l3 in rows:
        if l1 not in l1_codes:
            l1_codes[l1] = f"C{len(l1_codes) + 1:02d}"
            categories.append(CategoryPlan(l1_codes[l1], l1, 1, None))
        if (l1, l2) not in l2_codes:
            n = sum(1 for k in l2_codes if k[0] == l1) + 1
            l2_codes[(l1, l2)] = f"{l1_codes[l1]}{n:02d}"
            categories.append(CategoryPlan(l2_codes[(l1, l2)], l2, 2, l1_codes[l1]))
        cat = l2_codes[(l1, l2)]
        counts[cat] = counts.get(cat, 0) + 1
        name = matter_name(l1, l2, l3)
        lead = lead_for(l1, l2, l3)
        tier = tier_for(l3)
        hours, days = limits_for(l1, l2, l3, tier)
        matters.append(MatterPlan(f"M{cat[1:]}-{counts[cat]:02d}", name, cat, lead, assists_for(l2, l3, lead), tier,
                                  hours, days, keywords_for(l2, l3, name)))
    by_l2_name: dict[str, str] = {}
    for (_l1, l2), code in l2_codes.items():
        by_l2_name.setdefault(l2, code)
    extra: dict[str, int] = {}
    for l2, name, lead, _kind, _where in CERTIFICATES:
        cat = by_l2_name[l2]
        extra[cat] = extra.get(cat, 90) + 1
        subject = name.removeprefix("开具")
        matters.append(MatterPlan(f"M{cat[1:]}-{extra[cat]}", name, cat, lead, [], "community", 8, 5,
                                  [name, subject, subject.removesuffix("证明"), "开证明", "证明"]))
    return categories, matters


# ---- the admission-list template -------------------------------------------------------------------------

BASIS_MUST_DO = "《中华人民共和国城市居民委员会组织法》第三条；《中国共产党支部工作条例（试行）》"
BASIS_ASSIST = "《中华人民共和国城市居民委员会组织法》第四条；“费随事转、权随责走”，由主管部门提供经费和工作条件"
BASIS_MAY = "经社区入户核实后出具，只证明核实到的事实"
BASIS_MUST_NOT = "《关于深化城乡社区减负工作的通知》；社区不具备核实能力或法律未授权，请到{where}办理"

MUST_DO = (
    "宣传宪法、法律、法规和国家政策，教育居民依法履行义务", "组织召开居民会议、居民代表会议并报告工作",
    "办理本居住地区居民的公共事务和公益事业", "调解民间纠纷", "协助维护社区治安，组织治安巡逻",
    "向街道反映居民的意见、要求和建议", "组织实施居民委员会换届选举", "制定和修订居民公约",
    "推进居务公开和民主管理", "社区党组织建设和党员教育管理", "落实“三会一课”等组织生活制度",
    "组织在职党员到社区报到服务", "发展党员和收缴党费", "开展社区精神文明建设", "组织社区文化体育活动",
    "开展网格化服务管理和网格巡查走访", "收集、上报社情民意", "组织社区协商议事", "支持居务监督委员会开展工作",
    "指导业主委员会、物业服务企业开展工作", "培育和管理社区社会组织", "关爱服务困境儿童、留守儿童",
    "关爱服务独居、空巢老人", "组织社区环境卫生整治和爱国卫生运动", "开展垃圾分类宣传和督导",
    "排查和上报社区安全隐患", "开展社区消防安全宣传", "制定社区应急预案并组织演练", "开展防灾减灾宣传，报告灾情",
    "排查化解矛盾纠纷", "开展禁毒、反邪教宣传", "帮扶社区矫正对象和安置帮教人员", "开展未成年人思想道德建设",
    "监督居民公约的遵守", "管理维护社区公共服务设施", "保障党群服务中心日常运行", "采集居民信息，维护社区台账",
    "登记上报流动人口信息", "开展残疾人基本状况调查和服务", "保障退役军人服务站日常运行", "组织社区慈善和邻里互助",
    "招募和管理社区志愿者", "联系驻区单位，开展共驻共建", "实施社区民生实事项目", "组织居民评议和满意度测评",
    "召开社区“两委”联席会议", "开展社区服务需求调查，制定服务清单", "宣传文明新风，推进移风易俗",
    "管理社区积分和“微心愿”", "接待居民来访，受理居民诉求", "组织居民参与社区治理", "建立社区工作台账和档案",
)
ASSIST = (
    "协助受理城乡最低生活保障申请并入户调查", "协助受理特困人员救助供养申请", "协助开展临时救助",
    "协助开展医疗救助", "协助办理城乡居民基本养老保险参保登记", "协助办理城乡居民基本医疗保险参保缴费",
    "协助受理高龄津贴申请", "协助受理残疾人两项补贴申请", "协助办理残疾人证申请", "协助开展优抚对象服务",
    "协助采集退役军人信息", "协助开展征兵工作", "协助开展人口普查等统计调查", "协助确认计划生育奖励扶助对象",
    "协助开展计划生育特殊家庭扶助", "协助办理就业失业登记和就业援助", "协助开展职业技能培训宣传报名",
    "协助开展疾病预防控制和预防接种宣传", "协助应对突发公共卫生事件", "协助开展病媒生物防制",
    "协助开展食品安全宣传", "协助开展安全生产宣传和隐患排查", "协助开展消防安全检查",
    "协助开展防汛和地质灾害防御", "协助开展禁毒工作", "协助开展反诈骗宣传", "协助开展流动人口服务管理",
    "协助开展出租房屋登记", "协助开展社区矫正", "协助开展法律援助和普法宣传", "协助开展人民调解",
    "协助化解信访矛盾", "协助巡查和报告违法建设", "协助开展市容环境整治", "协助推进垃圾分类",
    "协助征集老旧小区改造意见", "协助宣传房屋征收政策", "协助监督物业服务质量", "协助公示住房保障资格初审",
    "协助开展文明城市创建", "协助开展全民健身活动", "协助提供公共文化服务", "协助核实适龄儿童入学信息",
    "协助开展未成年人保护", "协助维护妇女儿童权益", "协助开展养老服务补贴工作", "协助宣传殡葬改革",
    "协助开展婚姻家庭辅导", "协助开展双拥工作", "协助开展国防教育和民兵工作", "协助人大代表选举选民登记",
    "协助维护地名标志", "协助开展动物防疫和文明养犬宣传", "协助开展燃气安全宣传和入户检查",
    "协助开展食品药品安全信息员工作", "协助开展统战和民族宗教工作", "协助工会、共青团、妇联、残联开展工作",
    "协助开展慈善募捐和救灾捐赠",
)
MAY_CERTIFY = ("居民在本社区实际居住情况证明（经入户核实）", "困难群众家庭生活状况证明（经入户核实）")
MUST_NOT_CERTIFY: tuple[tuple[str, str], ...] = (  # (title, where to go instead)
    ("亲属关系证明", "户籍所在地公安派出所或公证机构"), ("婚姻状况证明", "婚姻登记机关"),
    ("无犯罪记录证明", "公安派出所"), ("出生证明", "出生的医疗机构"),
    ("死亡证明", "医疗机构或公安派出所"), ("无房证明", "不动产登记中心"),
    ("收入证明", "工作单位"), ("在职证明", "工作单位"),
    ("身份证明", "公安派出所"), ("户籍证明", "公安派出所"),
    ("生存（健在）证明", "社保经办机构（人脸识别认证）"), ("独生子女证明", "卫生健康部门"),
    ("未生育证明", "卫生健康部门"), ("计划生育情况证明", "卫生健康部门"),
    ("疾病证明", "医疗机构"), ("残疾证明", "残疾人联合会"),
    ("学历证明", "毕业学校或教育部门"), ("家庭经济状况证明（用于评审、贷款）", "出具机构自行核查"),
    ("无违法违纪证明", "公安或纪检监察机关"), ("政审证明", "组织人事部门"),
    ("出国（境）证明", "出入境管理部门"), ("个人现实表现证明", "工作单位或学校"),
    ("遗产继承证明", "公证机构或人民法院"), ("房屋租赁证明", "租赁合同备案机关"),
    ("水电气费缴纳证明", "供水、供电、供气企业"), ("车辆所有权证明", "公安交通管理部门"),
    ("营业场所证明", "市场监督管理部门"), ("企业注册地址证明", "市场监督管理部门"),
    ("社会保险参保证明", "社保经办机构"), ("失业证明", "公共就业服务机构"),
    ("退休证明", "原工作单位或社保经办机构"), ("养犬证明", "公安或养犬管理部门"),
    ("纠纷事实证明", "人民调解委员会或人民法院"), ("火灾受灾证明", "消防救援机构"),
    ("交通事故证明", "公安交通管理部门"), ("财产损失证明", "保险机构或公安机关"),
    ("银行开户证明", "开户银行"), ("子女抚养关系证明", "公证机构或人民法院"),
    ("监护关系证明", "公证机构或人民法院"), ("曾用名证明", "公安派出所"),
    ("民族成分证明", "公安派出所"), ("宗教信仰证明", "宗教团体"),
    ("非本社区党员身份证明", "党员所在党组织"), ("房屋产权证明", "不动产登记中心"),
    ("意外伤害证明", "医疗机构或公安机关"),
)
# must_not_certify titles linked to the certificate matter types above (title → matter name).
CERTIFICATE_LINKS = {"亲属关系证明": "开具亲属关系证明", "无犯罪记录证明": "开具无犯罪记录证明",
                     "婚姻状况证明": "开具婚姻状况证明", "出生证明": "开具出生证明", "死亡证明": "开具死亡证明",
                     "无房证明": "开具无房证明",
                     MAY_CERTIFY[0]: "开具居住证明", MAY_CERTIFY[1]: "开具困难群众生活状况证明"}
# Other items linked to the matter they are about (title → matter name), for reference on the list page.
ITEM_LINKS = {"协助受理城乡最低生活保障申请并入户调查": "城镇低保", "协助受理特困人员救助供养申请": "特困人员供养",
              "登记上报流动人口信息": "流动人口管理", "组织实施居民委员会换届选举": "居委会选举",
              "指导业主委员会、物业服务企业开展工作": "物业服务", "协助开展社区矫正": "社区矫正",
              "协助巡查和报告违法建设": "违章建筑", "组织社区环境卫生整治和爱国卫生运动": "环境卫生"}

ADMISSION_PREFIX = {"must_do": "Y", "assist": "X", "may_certify": "K", "must_not_certify": "B"}


@dataclass(frozen=True)
class ItemPlan:
    code: str
    kind: str
    title: str
    basis: str
    matter_name: str | None


def admission_template() -> list[ItemPlan]:
    """The 157 items every demo community starts from: 52 must do, 58 assist, 2 may certify, 45 must not."""
    items: list[ItemPlan] = []

    def add(kind: str, title: str, basis: str) -> None:
        n = sum(1 for i in items if i.kind == kind) + 1
        link = CERTIFICATE_LINKS.get(title) or ITEM_LINKS.get(title)
        items.append(ItemPlan(f"{ADMISSION_PREFIX[kind]}{n:02d}", kind, title, basis, link))

    for title in MUST_DO:
        add("must_do", title, BASIS_MUST_DO)
    for title in ASSIST:
        add("assist", title, BASIS_ASSIST)
    for title in MAY_CERTIFY:
        add("may_certify", title, BASIS_MAY)
    for title, where in MUST_NOT_CERTIFY:
        add("must_not_certify", title, BASIS_MUST_NOT.format(where=where))
    return items


# ---- loading ----------------------------------------------------------------------------------------------

def _existing(session: Session, column: Any, values: Iterable[str]) -> set[str]:
    return set(session.scalars(select(column).where(column.in_(list(values)))))


def load_demo_catalog(session: Session, *, region: Region, path: Path | None = None) -> dict[str, int]:
    """Departments (placed on `region`, the city), categories and matter types; returns what was added."""
    from gongzhi.duties import service

    categories, matters = plan_catalog(read_taxonomy(path))
    have = _existing(session, Department.code, [c for c, _ in DEPARTMENTS])
    new_deps = [{"code": c, "name": n, "region_id": region.id, "is_active": True} for c, n in DEPARTMENTS
                if c not in have]
    if new_deps:
        session.execute(insert(Department), new_deps)
    dep_ids = dict(session.execute(select(Department.code, Department.id)).tuples().all())

    have_cats = _existing(session, DutyCategory.code, [c.code for c in categories])
    for level in (1, 2):
        cat_ids = dict(session.execute(select(DutyCategory.code, DutyCategory.id)).tuples().all())
        rows = [{"code": c.code, "name": c.name, "level": c.level,
                 "parent_id": cat_ids[c.parent_code] if c.parent_code else None}
                for c in categories if c.level == level and c.code not in have_cats]
        if rows:
            session.execute(insert(DutyCategory), rows)
    cat_ids = dict(session.execute(select(DutyCategory.code, DutyCategory.id)).tuples().all())

    have = _existing(session, MatterType.code, [m.code for m in matters])
    rows = [{"code": m.code, "name": m.name, "category_id": cat_ids[m.category_code],
             "lead_department_id": dep_ids[m.lead], "assist_department_ids": [dep_ids[c] for c in m.assists],
             "tier": m.tier, "accept_hours": m.accept_hours, "resolve_days": m.resolve_days,
             "keywords": "、".join(m.keywords), "is_active": True} for m in matters if m.code not in have]
    for i in range(0, len(rows), 1000):
        session.execute(insert(MatterType), rows[i:i + 1000])
    service.invalidate_suggestions()
    return {"departments": len(new_deps), "categories": sum(1 for c in categories if c.code not in have_cats),
            "matter_types": len(rows)}


def load_demo_admission(session: Session, community: Region) -> int:
    """The template admission list for one community (items whose code it already has are kept as they are)."""
    return _load_admission(session, [community])


def _load_admission(session: Session, communities: list[Region]) -> int:
    template = admission_template()
    names = {i.matter_name for i in template if i.matter_name}
    matter_ids: dict[str, int] = {}
    for mid, name in session.execute(select(MatterType.id, MatterType.name).where(MatterType.name.in_(names))
                                     .order_by(MatterType.code)):
        matter_ids.setdefault(name, mid)
    have = set(session.execute(select(AdmissionItem.community_id, AdmissionItem.code).where(
        AdmissionItem.community_id.in_([c.id for c in communities]))).tuples().all()) if communities else set()
    rows = [{"community_id": c.id, "code": i.code, "kind": i.kind, "title": i.title, "basis": i.basis,
             "matter_type_id": matter_ids.get(i.matter_name) if i.matter_name else None}
            for c in communities for i in template if (c.id, i.code) not in have]
    for i in range(0, len(rows), 2000):
        session.execute(insert(AdmissionItem), rows[i:i + 2000])
    return len(rows)


def load_demo(session: Session) -> dict[str, int]:
    """The whole demo: the catalog for the city (the root of the region tree) and every community's list."""
    city = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    if city is None:
        return {}
    counts = load_demo_catalog(session, region=city)
    communities = list(session.scalars(select(Region).where(Region.level == "community").order_by(Region.path)))
    counts["admission_items"] = _load_admission(session, communities)
    return counts

