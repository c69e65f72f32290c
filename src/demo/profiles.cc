#include "profiles.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "zp/base/time.h"

namespace zp::demo::internal {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180.0;

// Shenbei (north of Shenyang): 42.0 N, 123.4 E; clocks at UTC+8 (120 E).
constexpr double kLatitudeDeg = 42.0;
constexpr double kLongitudeDeg = 123.4;
constexpr double kPanelTiltDeg = 35.0;  // rooftop arrays facing south

using G = Group;
using S = Shift;
using W = Week;

// Peak kW ranges are of random enterprises; anchors set their own.
constexpr Archetype kArchetypes[] = {
    // --- automotive (汽车制造业 C36)
    {"C3612",
     "新能源汽车",
     G::kAuto,
     S::kTwo,
     S::kThree,
     W::kSixDay,
     8000,
     30000,
     0,
     0.55,
     0.12,
     0.12,
     0.05,
     0,
     0.10,
     false,
     60,
     0,
     3,
     {{{"冲压车间", "Stamping shop"},
       {"焊装车间", "Body shop"},
       {"涂装车间", "Paint shop"},
       {"总装车间", "Final assembly"}}}},
    {"C3670",
     "汽车零部件",
     G::kAuto,
     S::kTwo,
     S::kThree,
     W::kSixDay,
     150,
     6000,
     16,
     0.55,
     0.12,
     0.10,
     0.06,
     0,
     0.12,
     false,
     40,
     0,
     3,
     {{{"机加工线", "Machining line"},
       {"压铸车间", "Die casting"},
       {"热处理线", "Heat treatment"},
       {"装配线", "Assembly line"}}}},
    {"C3660",
     "汽车车身",
     G::kAuto,
     S::kTwo,
     S::kTwo,
     W::kSixDay,
     400,
     5000,
     3,
     0.50,
     0.12,
     0.12,
     0.06,
     0,
     0.12,
     false,
     90,
     0,
     4,
     {{{"冲压线", "Stamping line"},
       {"焊装线", "Welding line"},
       {"涂装线", "Paint line"},
       {"总装线", "Final assembly"}}}},
    // --- general and special equipment (通用设备 C34, 专用设备 C35)
    {"C3421",
     "数控机床",
     G::kEquipment,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     100,
     2500,
     6,
     0.50,
     0.12,
     0.14,
     0.08,
     0,
     0.10,
     false,
     0,
     0,
     1,
     {{{"数控加工车间", "CNC machining"},
       {"铸件加工", "Casting machining"},
       {"装配车间", "Assembly shop"},
       {"试车台", "Test bench"}}}},
    {"C3442",
     "压缩机",
     G::kEquipment,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     150,
     3000,
     4,
     0.50,
     0.12,
     0.13,
     0.07,
     0,
     0.12,
     false,
     20,
     0,
     1.5,
     {{{"壳体加工", "Housing machining"},
       {"转子加工", "Rotor machining"},
       {"装配线", "Assembly line"},
       {"性能试验站", "Performance test"}}}},
    {"C3453",
     "齿轮传动",
     G::kEquipment,
     S::kTwo,
     S::kThree,
     W::kSixDay,
     200,
     3000,
     3,
     0.55,
     0.12,
     0.10,
     0.06,
     0,
     0.12,
     false,
     60,
     0,
     1.5,
     {{{"滚齿车间", "Gear hobbing"},
       {"热处理线", "Heat treatment"},
       {"磨齿车间", "Gear grinding"},
       {"装配线", "Assembly line"}}}},
    {"C3491",
     "机器人",
     G::kEquipment,
     S::kOne,
     S::kOne,
     W::kFiveDay,
     80,
     1200,
     3,
     0.40,
     0.08,
     0.20,
     0.10,
     0,
     0.10,
     false,
     0,
     0,
     0.8,
     {{{"本体装配", "Robot assembly"},
       {"控制柜装配", "Controller assembly"},
       {"调试区", "Commissioning"},
       {"机加工", "Machining"}}}},
    {"C3516",
     "冶金装备",
     G::kEquipment,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     200,
     3000,
     2,
     0.55,
     0.12,
     0.10,
     0.07,
     0,
     0.10,
     false,
     30,
     0,
     1.5,
     {{{"重型加工", "Heavy machining"},
       {"焊接车间", "Welding shop"},
       {"热处理", "Heat treatment"},
       {"总装车间", "Final assembly"}}}},
    {"C3562",
     "半导体装备",
     G::kEquipment,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     100,
     2000,
     2,
     0.35,
     0.10,
     0.30,
     0.07,
     0,
     0.15,
     true,
     0,
     0,
     1.2,
     {{{"精密加工", "Precision machining"},
       {"洁净装配", "Cleanroom assembly"},
       {"测试平台", "Test platform"},
       {"零部件清洗", "Parts cleaning"}}}},
    {"C3581",
     "医疗器械",
     G::kEquipment,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     60,
     1200,
     3,
     0.35,
     0.10,
     0.30,
     0.08,
     0,
     0.12,
     true,
     0,
     0,
     1.5,
     {{{"注塑成型", "Injection moulding"},
       {"洁净装配", "Cleanroom assembly"},
       {"灭菌车间", "Sterilisation"},
       {"检测中心", "Testing"}}}},
    // --- electrical machinery and equipment (电气机械和器材 C38)
    {"C3812",
     "电机",
     G::kElectrical,
     S::kTwo,
     S::kOne,
     W::kSixDay,
     150,
     3000,
     4,
     0.55,
     0.12,
     0.10,
     0.06,
     0,
     0.10,
     false,
     10,
     0,
     1,
     {{{"冲片车间", "Lamination stamping"},
       {"绕线车间", "Winding"},
       {"浸漆烘干", "Varnish & drying"},
       {"总装试验", "Assembly & test"}}}},
    {"C3821",
     "变压器",
     G::kElectrical,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     150,
     3000,
     3,
     0.50,
     0.10,
     0.12,
     0.07,
     0,
     0.12,
     false,
     0,
     0,
     1,
     {{{"铁芯车间", "Core shop"},
       {"线圈车间", "Coil shop"},
       {"真空干燥", "Vacuum drying"},
       {"试验站", "Test station"}}}},
    {"C3823",
     "电气成套",
     G::kElectrical,
     S::kOne,
     S::kOne,
     W::kFiveDay,
     60,
     1200,
     3,
     0.40,
     0.08,
     0.16,
     0.10,
     0,
     0.10,
     false,
     0,
     0,
     0.5,
     {{{"钣金车间", "Sheet metal"},
       {"喷涂线", "Powder coating"},
       {"装配车间", "Assembly shop"},
       {"试验站", "Test station"}}}},
    {"C3831",
     "电线电缆",
     G::kElectrical,
     S::kThree,
     S::kThree,
     W::kSixDay,
     300,
     5000,
     3,
     0.60,
     0.10,
     0.08,
     0.05,
     0,
     0.15,
     false,
     0,
     0,
     2,
     {{{"拉丝车间", "Wire drawing"},
       {"绞线车间", "Stranding"},
       {"挤塑车间", "Extrusion"},
       {"成缆车间", "Cabling"}}}},
    {"C3841",
     "锂电池",
     G::kElectrical,
     S::kContinuous,
     S::kThree,
     W::kSevenDay,
     1000,
     12000,
     2,
     0.50,
     0.10,
     0.25,
     0.04,
     0,
     0.30,
     true,
     0,
     0,
     2,
     {{{"涂布车间", "Coating"},
       {"卷绕车间", "Winding"},
       {"化成分容", "Formation"},
       {"干燥房", "Dry room"}}}},
    // --- computers, communication and other electronic equipment (电子设备 C39)
    {"C3982",
     "电子电路",
     G::kElectronics,
     S::kThree,
     S::kContinuous,
     W::kSevenDay,
     300,
     6000,
     3,
     0.50,
     0.10,
     0.20,
     0.05,
     0,
     0.35,
     true,
     0,
     0,
     8,
     {{{"钻孔车间", "Drilling"},
       {"电镀线", "Plating line"},
       {"压合车间", "Lamination"},
       {"表面处理", "Surface finish"}}}},
    {"C3976",
     "光电子",
     G::kElectronics,
     S::kThree,
     S::kContinuous,
     W::kSevenDay,
     300,
     5000,
     2,
     0.45,
     0.10,
     0.30,
     0.04,
     0,
     0.35,
     true,
     0,
     0,
     4,
     {{{"外延车间", "Epitaxy"},
       {"芯片车间", "Chip fab"},
       {"封装车间", "Packaging"},
       {"测试车间", "Testing"}}}},
    {"C3983",
     "传感器",
     G::kElectronics,
     S::kOne,
     S::kTwo,
     W::kFiveDay,
     60,
     1500,
     3,
     0.40,
     0.08,
     0.25,
     0.08,
     0,
     0.15,
     true,
     0,
     0,
     1,
     {{{"贴片线", "SMT line"},
       {"封装线", "Packaging line"},
       {"标定车间", "Calibration"},
       {"老化测试", "Burn-in"}}}},
    // --- pharmaceuticals and biomedicine (医药制造业 C27)
    {"C2720",
     "药业",
     G::kPharma,
     S::kTwo,
     S::kThree,
     W::kFiveDay,
     200,
     3000,
     3,
     0.35,
     0.10,
     0.35,
     0.05,
     0,
     0.25,
     true,
     20,
     1.2,
     3,
     {{{"固体制剂车间", "Solid dosage"},
       {"注射剂车间", "Injectables"},
       {"纯化水站", "Purified water"},
       {"质检中心", "QC lab"}}}},
    {"C2710",
     "化学制药",
     G::kPharma,
     S::kContinuous,
     S::kContinuous,
     W::kSevenDay,
     500,
     6000,
     2,
     0.50,
     0.08,
     0.20,
     0.04,
     0,
     0.50,
     false,
     50,
     2.0,
     6,
     {{{"合成车间", "Synthesis"},
       {"精烘包车间", "Refining & drying"},
       {"溶剂回收", "Solvent recovery"},
       {"冷冻站", "Chiller plant"}}}},
    {"C2761",
     "生物制药",
     G::kPharma,
     S::kContinuous,
     S::kThree,
     W::kSevenDay,
     300,
     5000,
     2,
     0.35,
     0.08,
     0.40,
     0.04,
     0,
     0.50,
     true,
     10,
     1.5,
     5,
     {{{"细胞培养", "Cell culture"},
       {"纯化车间", "Purification"},
       {"制剂灌装", "Fill & finish"},
       {"注射用水", "WFI system"}}}},
    // --- food (农副食品加工 C13, 食品制造 C14)
    {"C1353",
     "肉类食品",
     G::kFood,
     S::kTwo,
     S::kTwo,
     W::kSixDay,
     200,
     3000,
     2,
     0.35,
     0.05,
     0.08,
     0.05,
     0.35,
     0.30,
     false,
     30,
     1.0,
     8,
     {{{"屠宰线", "Slaughter line"},
       {"分割车间", "Cutting"},
       {"熟食车间", "Cooked food"},
       {"速冻隧道", "Freezing tunnel"}}}},
    {"C1441",
     "乳业",
     G::kFood,
     S::kContinuous,
     S::kThree,
     W::kSevenDay,
     300,
     4000,
     2,
     0.35,
     0.08,
     0.08,
     0.04,
     0.30,
     0.30,
     false,
     20,
     1.5,
     10,
     {{{"收奶杀菌", "Reception & pasteurisation"},
       {"灌装线", "Filling line"},
       {"发酵车间", "Fermentation"},
       {"CIP清洗", "CIP cleaning"}}}},
    {"C1411",
     "食品",
     G::kFood,
     S::kTwo,
     S::kOne,
     W::kSixDay,
     80,
     1500,
     3,
     0.45,
     0.06,
     0.10,
     0.06,
     0.10,
     0.12,
     false,
     120,
     0,
     3,
     {{{"烘焙线", "Baking line"},
       {"包装线", "Packaging line"},
       {"和面车间", "Dough mixing"},
       {"冷库", "Cold room"}}}},
    {"C1331",
     "粮油",
     G::kFood,
     S::kContinuous,
     S::kContinuous,
     W::kSevenDay,
     300,
     3000,
     1,
     0.60,
     0.08,
     0.05,
     0.04,
     0,
     0.30,
     false,
     30,
     1.0,
     2,
     {{{"浸出车间", "Extraction"},
       {"精炼车间", "Refining"},
       {"压榨车间", "Pressing"},
       {"灌装车间", "Bottling"}}}},
    // --- metal products (金属制品业 C33)
    {"C3311",
     "钢结构",
     G::kMetal,
     S::kOne,
     S::kTwo,
     W::kSixDay,
     100,
     2500,
     4,
     0.50,
     0.12,
     0.08,
     0.08,
     0,
     0.08,
     false,
     10,
     0,
     0.5,
     {{{"下料车间", "Cutting"},
       {"焊接车间", "Welding"},
       {"抛丸涂装", "Blasting & painting"},
       {"组装车间", "Fitting"}}}},
    {"C3360",
     "表面处理",
     G::kMetal,
     S::kTwo,
     S::kThree,
     W::kSixDay,
     100,
     1500,
     2,
     0.55,
     0.10,
     0.08,
     0.05,
     0,
     0.20,
     false,
     80,
     0,
     6,
     {{{"电镀线", "Plating line"},
       {"热浸锌", "Hot-dip galvanising"},
       {"阳极氧化", "Anodising"},
       {"废水处理", "Wastewater treatment"}}}},
    {"C3391",
     "铸造",
     G::kMetal,
     S::kThree,
     S::kTwo,
     W::kSixDay,
     500,
     8000,
     2,
     0.70,
     0.08,
     0.05,
     0.03,
     0,
     0.15,
     false,
     30,
     0,
     2,
     {{{"中频炉", "Induction furnace"},
       {"造型线", "Moulding line"},
       {"砂处理", "Sand plant"},
       {"清理车间", "Fettling"}}}},
    {"C3392",
     "有色铸造",
     G::kMetal,
     S::kThree,
     S::kThree,
     W::kSixDay,
     300,
     5000,
     1,
     0.65,
     0.10,
     0.05,
     0.04,
     0,
     0.20,
     false,
     150,
     0,
     2,
     {{{"熔炼炉", "Melting furnace"},
       {"压铸岛", "Die-casting cells"},
       {"去毛刺", "Deburring"},
       {"机加工", "Machining"}}}},
    // --- rubber and plastics (橡胶和塑料制品业 C29)
    {"C2911",
     "轮胎",
     G::kRubberPlastics,
     S::kContinuous,
     S::kContinuous,
     W::kSevenDay,
     2000,
     10000,
     1,
     0.60,
     0.12,
     0.06,
     0.03,
     0,
     0.30,
     false,
     20,
     2.5,
     3,
     {{{"密炼车间", "Mixing"},
       {"压延压出", "Calendering & extrusion"},
       {"成型车间", "Building"},
       {"硫化车间", "Curing"}}}},
    {"C2929",
     "塑料制品",
     G::kRubberPlastics,
     S::kThree,
     S::kTwo,
     W::kSixDay,
     100,
     2500,
     4,
     0.65,
     0.10,
     0.06,
     0.05,
     0,
     0.15,
     false,
     0,
     0,
     0.5,
     {{{"注塑车间", "Injection moulding"},
       {"吹塑车间", "Blow moulding"},
       {"模具车间", "Tooling"},
       {"装配包装", "Assembly & packing"}}}},
    {"C2926",
     "包装材料",
     G::kRubberPlastics,
     S::kTwo,
     S::kThree,
     W::kSixDay,
     100,
     2000,
     2,
     0.60,
     0.10,
     0.06,
     0.05,
     0,
     0.15,
     false,
     0,
     0,
     0.5,
     {{{"吹膜车间", "Film blowing"},
       {"印刷车间", "Printing"},
       {"制袋车间", "Bag making"},
       {"复合车间", "Laminating"}}}},
    // --- logistics and warehousing (道路运输 G54, 装卸搬运和仓储 G59)
    {"G5920",
     "仓储物流",
     G::kLogistics,
     S::kTwo,
     S::kThree,
     W::kSevenDay,
     50,
     800,
     4,
     0.25,
     0,
     0.15,
     0.25,
     0,
     0.10,
     false,
     0,
     0,
     0.3,
     {{{"分拣线", "Sorting line"},
       {"叉车充电", "Forklift charging"},
       {"输送系统", "Conveyors"},
       {"月台", "Loading docks"}}}},
    {"G5930",
     "冷链物流",
     G::kLogistics,
     S::kContinuous,
     S::kContinuous,
     W::kSevenDay,
     200,
     3000,
     2,
     0.10,
     0,
     0.05,
     0.06,
     0.70,
     0.30,
     false,
     0,
     0,
     0.5,
     {{{"冷藏库", "Chilled store"},
       {"冷冻库", "Frozen store"},
       {"分拣区", "Sorting area"},
       {"月台", "Loading docks"}}}},
    {"G5437",
     "城市配送",
     G::kLogistics,
     S::kTwo,
     S::kTwo,
     W::kSevenDay,
     50,
     500,
     2,
     0.30,
     0,
     0.12,
     0.20,
     0,
     0.10,
     false,
     0,
     0,
     0.2,
     {{{"分拣线", "Sorting line"},
       {"电动货车充电", "E-truck charging"},
       {"输送系统", "Conveyors"},
       {"办公区", "Offices"}}}},
    // --- services (软件 I65, 研究和试验发展 M73)
    {"I6513",
     "软件",
     G::kServices,
     S::kOffice,
     S::kOffice,
     W::kFiveDay,
     50,
     600,
     3,
     0.30,
     0,
     0.35,
     0.15,
     0,
     0.60,
     false,
     0,
     0,
     0.3,
     {{{"数据机房", "Server room"},
       {"研发楼", "R&D building"},
       {"展厅", "Showroom"},
       {"食堂", "Canteen"}}}},
    {"M7320",
     "检测技术",
     G::kServices,
     S::kOffice,
     S::kOne,
     W::kFiveDay,
     50,
     800,
     2,
     0.35,
     0.05,
     0.30,
     0.12,
     0,
     0.25,
     false,
     5,
     0,
     0.5,
     {{{"检测实验室", "Test labs"},
       {"环境试验舱", "Climate chambers"},
       {"样品库", "Sample store"},
       {"办公楼", "Office building"}}}},
};

const Archetype* FindArchetype(std::string_view industry) {
  for (const Archetype& a : kArchetypes) {
    if (a.industry == industry) return &a;
  }
  return nullptr;
}

constexpr std::string_view kBrandSyllables[] = {
    "华", "瑞", "德", "鑫", "宏", "盛", "达", "泰", "恒", "博", "远", "航", "通", "峰",
    "锐", "创", "新", "嘉", "信", "诚", "金", "宇", "佳", "联", "邦", "利", "源", "腾",
    "辉", "卓", "越", "凯", "晟", "铭", "智", "丰", "安", "昌", "晨", "东", "北", "隆",
    "益", "科", "兴", "润", "天", "祥", "正", "和", "力", "明", "中", "海", "启", "弘"};

constexpr std::string_view kSurnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "于", "宋", "唐", "韩", "曹", "许", "邓", "冯", "姜", "崔"};
constexpr std::string_view kGivenNames[] = {
    "伟",   "敏", "静", "丽",   "强",   "磊",   "军",   "洋",   "勇",   "艳",   "杰",   "娟",
    "涛",   "明", "超", "秀英", "桂兰", "建华", "志强", "晓东", "海燕", "春梅", "立新", "雪峰",
    "宏伟", "丹", "鹏", "婷",   "宇航", "振国", "玉兰", "长江", "冬梅", "文博", "思远"};

constexpr ZoneLabel kZoneLabels[] = {
    {"汽车产业园", "Auto Industrial Park", G::kAuto},
    {"装备制造园", "Equipment Manufacturing Park", G::kEquipment},
    {"电子信息园", "Electronics & IT Park", G::kElectronics},
    {"生物医药园", "Biomedicine Park", G::kPharma},
    {"食品产业园", "Food Industry Park", G::kFood},
    {"新材料园", "New Materials Park", G::kRubberPlastics},
    {"智慧物流园", "Smart Logistics Park", G::kLogistics},
    {"综合服务区", "Services District", G::kServices},
    {"电气装备园", "Electrical Equipment Park", G::kElectrical},
    {"金属制品园", "Metal Products Park", G::kMetal},
    {"北部拓展区", "North Expansion Area", G::kAuto},
    {"南部拓展区", "South Expansion Area", G::kEquipment},
};

// Ramp from 0 at a to 1 at b (hours).
double Ramp(double h, double a, double b) { return std::clamp((h - a) / (b - a), 0.0, 1.0); }

double ActivityAt(Shift s, double h) {
  switch (s) {
    case S::kOne: {
      double a = Ramp(h, 7.5, 8.25) * (1.0 - Ramp(h, 17.0, 17.75));
      if (h >= 12.0 && h < 13.0) a *= 0.6;
      return a;
    }
    case S::kTwo: {
      double a = h < 0.5 ? 0.3 : Ramp(h, 7.5, 8.0);
      if (h >= 12.0 && h < 12.5) a *= 0.75;
      if (h >= 16.0 && h < 16.5) a *= 0.85;
      if (h >= 20.0 && h < 20.5) a *= 0.8;
      return a;
    }
    case S::kThree: {
      double a = h < 6.0 ? 0.9 : 1.0;
      if ((h >= 8.0 && h < 8.5) || (h >= 16.0 && h < 16.5) || h < 0.5) a *= 0.85;
      if ((h >= 12.0 && h < 12.5) || (h >= 20.0 && h < 20.5)) a *= 0.9;
      return a;
    }
    case S::kContinuous:
      return (h >= 8.0 && h < 8.25) || (h >= 20.0 && h < 20.25) ? 0.95 : 0.98;
    case S::kOffice: {
      double a = Ramp(h, 8.0, 9.0) * (1.0 - Ramp(h, 17.5, 18.5));
      if (h >= 12.0 && h < 13.0) a *= 0.8;
      return a;
    }
  }
  return 0;
}

struct ShapeTable {
  std::array<std::array<double, kSlotsPerDay>, 5> shapes;
  ShapeTable() {
    for (int s = 0; s < 5; ++s) {
      for (int t = 0; t < kSlotsPerDay; ++t) {
        shapes[s][t] = ActivityAt(static_cast<Shift>(s), (t + 0.5) * kHoursPerSlot);
      }
    }
  }
};

// Shenyang climate normals, monthly mean air temperature (°C), 1991-2020 (CMA), rounded.
constexpr double kMonthlyMeanC[12] = {-11.0, -6.8, 1.3,  10.1, 17.4, 22.0,
                                      25.0,  23.8, 17.8, 9.9,  0.6,  -7.5};
// Day kinds by month: probability of a clear day and of an overcast day (dry sunny winters,
// East Asian monsoon rains in July-August).
constexpr double kClearProb[12] = {0.55, 0.55, 0.50, 0.45, 0.40, 0.30,
                                   0.20, 0.25, 0.45, 0.50, 0.45, 0.50};
constexpr double kOvercastProb[12] = {0.15, 0.15, 0.20, 0.20, 0.20, 0.30,
                                      0.40, 0.35, 0.20, 0.20, 0.20, 0.20};

double NormalTemp(const CivilDate& d) {
  // Linear between mid-month normals.
  const int32_t m = d.month - 1;
  const double days_in = DaysInMonth(d.year, d.month);
  const double pos = (d.day - 0.5) / days_in;  // 0..1 within the month
  if (pos < 0.5) {
    const double prev = kMonthlyMeanC[(m + 11) % 12];
    return prev + (kMonthlyMeanC[m] - prev) * (pos + 0.5);
  }
  const double next = kMonthlyMeanC[(m + 1) % 12];
  return kMonthlyMeanC[m] + (next - kMonthlyMeanC[m]) * (pos - 0.5);
}

}  // namespace

uint64_t StreamSeed(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  Rng r(seed ^ 0x5DEECE66DULL);
  uint64_t h = r.Next();
  for (uint64_t v : {a, b, c}) {
    Rng m(h ^ (v * 0xD1B54A32D192ED03ULL));
    h = m.Next();
  }
  return h;
}

std::span<const Archetype> RandomArchetypes() {
  return std::span<const Archetype>(kArchetypes).subspan(1);  // all but the OEM
}

std::span<const Anchor> Anchors() {
  static const Anchor kAnchors[] = {
      {FindArchetype("C3612"), "新能源汽车", S::kTwo, W::kSixDay, 24000, true, true},
      {FindArchetype("C2761"), "生物制药", S::kContinuous, W::kSevenDay, 4500, false, false},
      {FindArchetype("C2911"), "轮胎", S::kContinuous, W::kSevenDay, 9000, true, true},
      {FindArchetype("G5930"), "冷链物流", S::kContinuous, W::kSevenDay, 1800, false, true},
      {FindArchetype("C3421"), "数控机床", S::kOne, W::kFiveDay, 900, false, true},
      {FindArchetype("C3982"), "电子电路", S::kThree, W::kSevenDay, 3500, true, false},
      {FindArchetype("C1441"), "乳业", S::kContinuous, W::kSevenDay, 2600, false, false},
      {FindArchetype("C3311"), "钢结构", S::kOne, W::kSixDay, 400, false, false},
      {FindArchetype("C3670"), "汽车零部件", S::kTwo, W::kSixDay, 2200, true, false},
      {FindArchetype("I6513"), "软件", S::kOffice, W::kFiveDay, 150, false, true},
  };
  return kAnchors;
}

double MonthFactor(Group g, int32_t month) {
  static constexpr double kAuto[12] = {0.92, 0.78, 1.0,  1.0,  1.0,  1.02,
                                       0.95, 0.97, 1.03, 1.03, 1.06, 1.08};
  static constexpr double kFood[12] = {1.08, 0.95, 0.95, 0.95, 0.97, 1.0,
                                       1.0,  1.02, 1.05, 1.03, 1.0,  1.05};
  static constexpr double kLogistics[12] = {1.05, 0.80, 0.95, 0.95, 0.97, 1.0,
                                            0.97, 0.98, 1.0,  1.02, 1.15, 1.10};
  static constexpr double kSteady[12] = {1.0,  0.95, 1.0, 1.0, 1.0, 1.0,
                                         0.98, 0.98, 1.0, 1.0, 1.0, 1.0};
  static constexpr double kDefault[12] = {0.95, 0.85, 1.0, 1.0, 1.0,  1.0,
                                          0.97, 0.98, 1.0, 1.0, 1.02, 1.03};
  const int32_t i = std::clamp(month, 1, 12) - 1;
  switch (g) {
    case G::kAuto:
      return kAuto[i];
    case G::kFood:
      return kFood[i];
    case G::kLogistics:
      return kLogistics[i];
    case G::kPharma:
    case G::kRubberPlastics:
      return kSteady[i];
    default:
      return kDefault[i];
  }
}

std::span<const std::string_view> BrandSyllables() { return kBrandSyllables; }
std::span<const std::string_view> Surnames() { return kSurnames; }
std::span<const std::string_view> GivenNames() { return kGivenNames; }
std::span<const ZoneLabel> ZoneLabels() { return kZoneLabels; }

const std::array<double, kSlotsPerDay>& WorkActivity(Shift s) {
  static const ShapeTable table;
  return table.shapes[static_cast<int>(s)];
}

bool InHeatingSeason(int32_t month) { return month >= 11 || month <= 3; }

std::vector<DayWeather> MakeWeather(uint64_t seed, int32_t first_epoch_day, int32_t days) {
  std::vector<DayWeather> out(static_cast<size_t>(days));
  Rng rng(StreamSeed(seed, 0x7765617468ULL));  // "weath"
  const double phi = kLatitudeDeg * kDeg;
  const double beta = kPanelTiltDeg * kDeg;
  double anomaly = rng.Tri() * 3.0;
  for (int32_t i = 0; i < days; ++i) {
    DayWeather& w = out[static_cast<size_t>(i)];
    const int32_t epoch_day = first_epoch_day + i;
    const CivilDate d = CivilFromDays(epoch_day);
    const int32_t doy = epoch_day - DaysFromCivil(d.year, 1, 1) + 1;

    // Clouds: clear, partly cloudy or overcast, by month.
    const double kind = rng.Uniform();
    int cloud = 1;
    if (kind < kClearProb[d.month - 1]) {
      cloud = 0;
      w.clearness = rng.Uniform(0.88, 1.0);
    } else if (kind > 1.0 - kOvercastProb[d.month - 1]) {
      cloud = 2;
      w.clearness = rng.Uniform(0.12, 0.40);
    } else {
      w.clearness = rng.Uniform(0.45, 0.85);
    }

    // Temperature: climate normal + persistent anomaly + diurnal cycle (wider on clear days).
    anomaly = 0.75 * anomaly + 2.5 * std::sqrt(6.0) * rng.Tri();
    w.mean_temp_c = NormalTemp(d) + anomaly;
    const double amplitude = 2.5 + 4.0 * w.clearness;

    // Sun position (Cooper declination, Spencer-style equation of time).
    const double decl = 23.44 * kDeg * std::sin(2 * kPi * (284 + doy) / 365.0);
    const double b = 2 * kPi * (doy - 81) / 364.0;
    const double eot_min = 9.87 * std::sin(2 * b) - 7.53 * std::cos(b) - 1.5 * std::sin(b);
    const double solar_offset_h = (4.0 * (kLongitudeDeg - 120.0) + eot_min) / 60.0;

    double cloud_state = 0;
    for (int t = 0; t < kSlotsPerDay; ++t) {
      const double h = (t + 0.5) * kHoursPerSlot;
      w.temp_c[t] = w.mean_temp_c + amplitude * std::cos(2 * kPi * (h - 14.5) / 24.0);

      const double omega = 15.0 * kDeg * (h + solar_offset_h - 12.0);
      const double sin_h =
          std::sin(phi) * std::sin(decl) + std::cos(phi) * std::cos(decl) * std::cos(omega);
      w.dark[t] = std::clamp((0.17 - sin_h) / 0.22, 0.0, 1.0);

      // Cloud variability within the day (a slow random walk, strongest when partly cloudy).
      const double var = cloud == 1 ? 0.25 : (cloud == 0 ? 0.02 : 0.08);
      cloud_state = 0.8 * cloud_state + var * rng.Tri();
      if (sin_h <= 0) {
        w.pv_kw_per_kwp[t] = 0;
        continue;
      }
      // Haurwitz clear-sky global horizontal irradiance, split 80/20 beam/diffuse, transposed
      // to the tilted plane.
      const double ghi = 1098.0 * sin_h * std::exp(-0.057 / sin_h);
      const double cos_inc = std::sin(decl) * std::sin(phi - beta) +
                             std::cos(decl) * std::cos(phi - beta) * std::cos(omega);
      const double rb = std::min(std::max(cos_inc, 0.0) / std::max(sin_h, 0.087), 4.0);
      const double poa = 0.8 * ghi * rb + 0.2 * ghi * (1 + std::cos(beta)) / 2 +
                         0.2 * ghi * 0.2 * (1 - std::cos(beta)) / 2;
      const double sky = std::clamp(w.clearness + cloud_state, 0.05, 1.05);
      const double poa_sky = poa * sky;
      const double cell_c = w.temp_c[t] + poa_sky / 800.0 * 25.0;
      const double pr = 0.82 * (1.0 - 0.004 * (cell_c - 25.0));
      w.pv_kw_per_kwp[t] = std::min(poa_sky / 1000.0 * pr, 1.0);
    }
  }
  return out;
}

}  // namespace zp::demo::internal
