// GB/T 4754-2017 "Industrial classification for national economic activities" (国民经济行业分类):
// 20 sections (门类, A..T) and 97 divisions (大类, 01..97). Codes are a section letter and 2 to 4
// digits: division (2), group (3), class (4).

#include <array>
#include <string>
#include <string_view>

#include "zp/model/registry.h"

namespace zp::model {
namespace {

struct Section {
  char letter;
  int first_division;
  int last_division;
};

constexpr Section kSections[] = {
    {'A', 1, 5},   {'B', 6, 12},  {'C', 13, 43}, {'D', 44, 46}, {'E', 47, 50},
    {'F', 51, 52}, {'G', 53, 60}, {'H', 61, 62}, {'I', 63, 65}, {'J', 66, 69},
    {'K', 70, 70}, {'L', 71, 72}, {'M', 73, 75}, {'N', 76, 79}, {'O', 80, 82},
    {'P', 83, 83}, {'Q', 84, 85}, {'R', 86, 90}, {'S', 91, 96}, {'T', 97, 97},
};

// Division names, index = division number - 1.
constexpr std::array<IndustryName, 97> kDivisions = {{
    {"农业", "Agriculture"},
    {"林业", "Forestry"},
    {"畜牧业", "Animal husbandry"},
    {"渔业", "Fishery"},
    {"农、林、牧、渔专业及辅助性活动",
     "Professional and support activities for agriculture, forestry, animal husbandry and "
     "fishery"},
    {"煤炭开采和洗选业", "Mining and washing of coal"},
    {"石油和天然气开采业", "Extraction of petroleum and natural gas"},
    {"黑色金属矿采选业", "Mining and processing of ferrous metal ores"},
    {"有色金属矿采选业", "Mining and processing of non-ferrous metal ores"},
    {"非金属矿采选业", "Mining and processing of non-metal ores"},
    {"开采专业及辅助性活动", "Professional and support activities for mining"},
    {"其他采矿业", "Other mining"},
    {"农副食品加工业", "Processing of food from agricultural products"},
    {"食品制造业", "Manufacture of foods"},
    {"酒、饮料和精制茶制造业", "Manufacture of liquor, beverages and refined tea"},
    {"烟草制品业", "Manufacture of tobacco products"},
    {"纺织业", "Manufacture of textiles"},
    {"纺织服装、服饰业", "Manufacture of textile wearing apparel and accessories"},
    {"皮革、毛皮、羽毛及其制品和制鞋业",
     "Manufacture of leather, fur, feathers and related products, and footwear"},
    {"木材加工和木、竹、藤、棕、草制品业",
     "Processing of timber; manufacture of wood, bamboo, rattan, palm and straw products"},
    {"家具制造业", "Manufacture of furniture"},
    {"造纸和纸制品业", "Manufacture of paper and paper products"},
    {"印刷和记录媒介复制业", "Printing and reproduction of recording media"},
    {"文教、工美、体育和娱乐用品制造业",
     "Manufacture of articles for culture, education, arts and crafts, sport and entertainment"},
    {"石油、煤炭及其他燃料加工业", "Processing of petroleum, coal and other fuels"},
    {"化学原料和化学制品制造业", "Manufacture of raw chemical materials and chemical products"},
    {"医药制造业", "Manufacture of medicines"},
    {"化学纤维制造业", "Manufacture of chemical fibres"},
    {"橡胶和塑料制品业", "Manufacture of rubber and plastic products"},
    {"非金属矿物制品业", "Manufacture of non-metallic mineral products"},
    {"黑色金属冶炼和压延加工业", "Smelting and pressing of ferrous metals"},
    {"有色金属冶炼和压延加工业", "Smelting and pressing of non-ferrous metals"},
    {"金属制品业", "Manufacture of metal products"},
    {"通用设备制造业", "Manufacture of general-purpose machinery"},
    {"专用设备制造业", "Manufacture of special-purpose machinery"},
    {"汽车制造业", "Manufacture of automobiles"},
    {"铁路、船舶、航空航天和其他运输设备制造业",
     "Manufacture of railway, ship, aerospace and other transport equipment"},
    {"电气机械和器材制造业", "Manufacture of electrical machinery and equipment"},
    {"计算机、通信和其他电子设备制造业",
     "Manufacture of computers, communication and other electronic equipment"},
    {"仪器仪表制造业", "Manufacture of measuring instruments and meters"},
    {"其他制造业", "Other manufacturing"},
    {"废弃资源综合利用业", "Comprehensive use of waste resources"},
    {"金属制品、机械和设备修理业", "Repair of metal products, machinery and equipment"},
    {"电力、热力生产和供应业", "Production and supply of electricity and heat"},
    {"燃气生产和供应业", "Production and supply of gas"},
    {"水的生产和供应业", "Production and supply of water"},
    {"房屋建筑业", "Construction of buildings"},
    {"土木工程建筑业", "Civil engineering"},
    {"建筑安装业", "Construction installation"},
    {"建筑装饰、装修和其他建筑业", "Building decoration, renovation and other construction"},
    {"批发业", "Wholesale trade"},
    {"零售业", "Retail trade"},
    {"铁路运输业", "Rail transport"},
    {"道路运输业", "Road transport"},
    {"水上运输业", "Water transport"},
    {"航空运输业", "Air transport"},
    {"管道运输业", "Pipeline transport"},
    {"多式联运和运输代理业", "Multimodal transport and transport agency"},
    {"装卸搬运和仓储业", "Loading, unloading and warehousing"},
    {"邮政业", "Postal services"},
    {"住宿业", "Accommodation"},
    {"餐饮业", "Food and beverage services"},
    {"电信、广播电视和卫星传输服务",
     "Telecommunications, radio and television, and satellite transmission services"},
    {"互联网和相关服务", "Internet and related services"},
    {"软件和信息技术服务业", "Software and information technology services"},
    {"货币金融服务", "Monetary financial services"},
    {"资本市场服务", "Capital market services"},
    {"保险业", "Insurance"},
    {"其他金融业", "Other financial services"},
    {"房地产业", "Real estate"},
    {"租赁业", "Leasing"},
    {"商务服务业", "Business services"},
    {"研究和试验发展", "Research and experimental development"},
    {"专业技术服务业", "Professional technical services"},
    {"科技推广和应用服务业", "Technology promotion and application services"},
    {"水利管理业", "Water conservancy management"},
    {"生态保护和环境治理业", "Ecological protection and environmental governance"},
    {"公共设施管理业", "Public facilities management"},
    {"土地管理业", "Land management"},
    {"居民服务业", "Services to households"},
    {"机动车、电子产品和日用产品修理业",
     "Repair of motor vehicles, electronic products and household goods"},
    {"其他服务业", "Other services"},
    {"教育", "Education"},
    {"卫生", "Health"},
    {"社会工作", "Social work"},
    {"新闻和出版业", "News and publishing"},
    {"广播、电视、电影和录音制作业", "Radio, television, film and sound recording production"},
    {"文化艺术业", "Culture and arts"},
    {"体育", "Sports"},
    {"娱乐业", "Entertainment"},
    {"中国共产党机关", "Organs of the Communist Party of China"},
    {"国家机构", "State organs"},
    {"人民政协、民主党派", "CPPCC and democratic parties"},
    {"社会保障", "Social security"},
    {"群众团体、社会团体和其他成员组织",
     "Mass organisations, social organisations and other membership organisations"},
    {"基层群众自治组织及其他组织",
     "Grassroots self-governing organisations and other organisations"},
    {"国际组织", "International organisations"},
}};

const Section* SectionOfDivision(int division) {
  for (const Section& s : kSections) {
    if (division >= s.first_division && division <= s.last_division) return &s;
  }
  return nullptr;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Result<std::string> NormalizeIndustryCode(std::string_view code) {
  while (!code.empty() && IsSpace(code.front())) code.remove_prefix(1);
  while (!code.empty() && IsSpace(code.back())) code.remove_suffix(1);
  auto error = [&](std::string_view why) {
    std::string shown(code.substr(0, 16));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    }
    return InvalidArgumentError("industry code " + shown + ": " + std::string(why));
  };
  if (code.empty()) return InvalidArgumentError("industry code is empty");
  char letter = 0;
  std::string_view digits = code;
  if ((code[0] >= 'A' && code[0] <= 'Z') || (code[0] >= 'a' && code[0] <= 'z')) {
    letter = static_cast<char>(code[0] & ~0x20);  // upper case
    if (letter > 'T') {
      return error("section " + std::string(1, letter) +
                   " does not exist (GB/T 4754-2017 has sections A to T)");
    }
    digits.remove_prefix(1);
  }
  for (char c : digits) {
    if (c < '0' || c > '9') return error("expected a section letter and 2 to 4 digits");
  }
  if (digits.empty()) {
    if (letter == 0) return error("expected a section letter and 2 to 4 digits");
    return std::string(1, letter);
  }
  if (digits.size() < 2 || digits.size() > 4) {
    return error("expected 2 to 4 digits (division, group or class), got " +
                 std::to_string(digits.size()));
  }
  const int division = (digits[0] - '0') * 10 + (digits[1] - '0');
  const Section* section = SectionOfDivision(division);
  if (section == nullptr) {
    return error("division " + std::string(digits.substr(0, 2)) +
                 " does not exist (GB/T 4754-2017 divisions are 01 to 97)");
  }
  if (letter != 0 && letter != section->letter) {
    return error("division " + std::string(digits.substr(0, 2)) + " belongs to section " +
                 std::string(1, section->letter));
  }
  std::string out(1, section->letter);
  out += digits;
  return out;
}

IndustryName IndustryDivisionName(std::string_view normalized_code) {
  std::string_view digits = normalized_code;
  const char letter = !digits.empty() && digits[0] >= 'A' && digits[0] <= 'Z' ? digits[0] : 0;
  if (letter != 0) digits.remove_prefix(1);
  if (digits.size() < 2 || digits[0] < '0' || digits[0] > '9' || digits[1] < '0' ||
      digits[1] > '9') {
    return {};
  }
  const int division = (digits[0] - '0') * 10 + (digits[1] - '0');
  const Section* section = SectionOfDivision(division);
  if (section == nullptr || (letter != 0 && letter != section->letter)) return {};
  return kDivisions[static_cast<size_t>(division - 1)];
}

}  // namespace zp::model
