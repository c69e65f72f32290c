// Property tests: on random parks (random meter trees, cross-enterprise feeds, random monthly
// values, green supply, process emissions), the parts add up to the whole at every level:
// enterprise -> zone -> park, industry -> park, month -> year, carrier -> total, in both energy
// methods and both Scope 2 methods.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"

namespace zp::carbon {
namespace {

using units::Carrier;

constexpr Carrier kUsed[] = {Carrier::kElectricity, Carrier::kNaturalGas, Carrier::kHeat,
                             Carrier::kSteam,       Carrier::kRawCoal,    Carrier::kDiesel,
                             Carrier::kWater};

std::shared_ptr<const energy::Input> RandomPark(uint32_t seed) {
  std::mt19937 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto in = std::make_shared<energy::Input>();
  in->park.name = "Random park";
  in->park.province = "江苏";
  in->from_month = MonthIndex(2023, 1);
  in->to_month = MonthIndex(2025, 1);  // two years: year-on-year too
  for (int z = 0; z < 3; ++z) {
    model::Zone zone;
    zone.code = "Z" + std::to_string(z);
    zone.name = "网格 " + zone.code;
    in->zones.push_back(zone);
  }
  const char* industries[] = {"C3670", "C2611", "C3311", "D4411"};
  const int n = 6 + static_cast<int>(pick(6));
  for (int e = 0; e < n; ++e) {
    model::Enterprise ent;
    ent.code = "E" + std::to_string(e);
    ent.name = "企业 " + ent.code;
    ent.industry_code = industries[pick(4)];
    ent.zone_code = pick(4) == 0 ? "" : in->zones[pick(3)].code;  // some without a zone
    in->enterprises.push_back(ent);
  }
  // Park meters, then enterprise meters with random parents (same carrier).
  auto add = [&](model::Meter m) { in->meters.push_back(std::move(m)); };
  for (Carrier c : kUsed) {
    model::Meter m;
    m.code = "PARK." + std::string(units::GetCarrierInfo(c).code);
    m.carrier = c;
    add(m);
  }
  for (int e = 0; e < n; ++e) {
    for (Carrier c : kUsed) {
      if (pick(3) == 0) continue;
      model::Meter m;
      m.code = in->enterprises[static_cast<size_t>(e)].code + "." +
               std::string(units::GetCarrierInfo(c).code);
      m.enterprise_code = in->enterprises[static_cast<size_t>(e)].code;
      m.carrier = c;
      // Parent: none, the park meter of the carrier, or an earlier meter of the carrier (which
      // may belong to another enterprise: a tenant).
      const size_t r = pick(4);
      if (r == 1) {
        m.parent_code = "PARK." + std::string(units::GetCarrierInfo(c).code);
      } else if (r >= 2) {
        std::vector<size_t> same;
        for (size_t i = 0; i < in->meters.size(); ++i) {
          if (in->meters[i].carrier == c && !in->meters[i].enterprise_code.empty()) {
            same.push_back(i);
          }
        }
        if (!same.empty()) m.parent_code = in->meters[same[pick(same.size())]].code;
      }
      add(m);
      if (pick(2) == 0) {  // a sub-meter inside the enterprise
        model::Meter s = m;
        s.code = m.code + ".SUB";
        s.parent_code = m.code;
        add(s);
      }
    }
  }
  model::Meter pv;
  pv.code = "E0.PV";
  pv.enterprise_code = "E0";
  pv.flow = model::MeterFlow::kGeneration;
  add(pv);
  const size_t months = static_cast<size_t>(in->months());
  in->sums.resize(in->meters.size() * months);
  for (size_t i = 0; i < in->meters.size(); ++i) {
    for (size_t k = 0; k < months; ++k) {
      in->sums[i * months + k] = {std::round(uni(0, 100000) * 100) / 100,
                                  static_cast<int64_t>(pick(3000))};
    }
  }
  int64_t seq = 1;
  for (int e = 0; e < n; ++e) {
    for (int32_t mo = in->from_month; mo < in->to_month; ++mo) {
      model::EnterpriseDatum d;
      d.seq = seq++;
      d.enterprise_code = in->enterprises[static_cast<size_t>(e)].code;
      d.period = {MonthIndexYear(mo), MonthIndexMonth(mo)};
      d.indicator = "added_value";
      d.value = uni(100, 5000);
      in->data.push_back(d);
      if (pick(3) == 0) {
        d.seq = seq++;
        d.indicator = "green_direct_kwh";
        d.item = "DS-" + std::to_string(e);
        d.value = uni(0, 150000);
        in->data.push_back(d);
      }
    }
    if (pick(2) == 0) {
      model::EnterpriseDatum d;
      d.seq = seq++;
      d.enterprise_code = in->enterprises[static_cast<size_t>(e)].code;
      d.period = {2024, 0};
      d.indicator = "process_co2";
      d.value = uni(0, 5000);
      in->data.push_back(d);
    }
  }
  return in;
}

void ExpectNear(double a, double b, const std::string& what) {
  EXPECT_NEAR(a, b, 1e-9 * std::max(1.0, std::fabs(b))) << what;
}

class PartsAddUp : public testing::TestWithParam<uint32_t> {};

TEST_P(PartsAddUp, AtEveryLevelInBothMethods) {
  auto ref = refdata::RefData::Build(
      // 2023 has no coal-equivalent electricity coefficient built in; the park supplies one.
      "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,"
      "note\n"
      "p-ce-2023,tce,park,electricity,coal_equivalent,,0.3030,kgce/kWh,2023-01-01,2024-01-01,"
      "test,PARK,\n");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto green = energy::MakeManualGreenSupply();
  auto en = energy::Accounts::Compute(RandomPark(GetParam()), *ref, green.get());
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  auto ca = CarbonAccounts::Compute(*en);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  const CarbonAccounts& c = **ca;

  energy::ReportQuery q;
  q.from_month = (*en)->input().from_month;
  q.to_month = (*en)->input().to_month;
  // Totals per (grouping, period) -> park values of each figure.
  using Figures = std::vector<double>;
  auto figures_e = [](const energy::EnergyRow& r) {
    return Figures{r.tce[0], r.tce[1], r.electricity_kwh, r.green_kwh};
  };
  auto figures_c = [](const CarbonRow& r) {
    return Figures{r.scope1_fuel, r.scope1_process, r.scope2[0], r.scope2[1],
                   r.total[0],    r.total[1],       r.tce[0],    r.tce[1]};
  };
  std::map<std::pair<int, std::string>, Figures> energy_sums, carbon_sums;
  for (energy::Group g : {energy::Group::kEnterprise, energy::Group::kIndustry,
                          energy::Group::kZone, energy::Group::kCarrier, energy::Group::kPark}) {
    for (energy::Period p : {energy::Period::kMonth, energy::Period::kYear}) {
      q.group = g;
      q.period = p;
      auto er = energy::EnergyReport(**en, q);
      ASSERT_TRUE(er.ok()) << er.status().ToString();
      auto cr = CarbonReport(c, q);
      ASSERT_TRUE(cr.ok()) << cr.status().ToString();
      // Sum every group of a period (and, for months, every month of the year).
      auto year_of = [](const std::string& period) { return period.substr(0, 4); };
      for (const auto& r : *er) {
        Figures f = figures_e(r);
        if (g == energy::Group::kCarrier) f[2] = f[3] = 0;  // per-carrier rows: tce only
        auto& s = energy_sums[{static_cast<int>(g) * 2 + static_cast<int>(p), year_of(r.period)}];
        s.resize(f.size());
        for (size_t i = 0; i < f.size(); ++i) s[i] += f[i];
      }
      for (const auto& r : *cr) {
        Figures f = figures_c(r);
        auto& s = carbon_sums[{static_cast<int>(g) * 2 + static_cast<int>(p), year_of(r.period)}];
        s.resize(f.size());
        for (size_t i = 0; i < f.size(); ++i) s[i] += f[i];
      }
    }
  }
  // Every grouping and period sums to the park's yearly figures.
  const int park_year = static_cast<int>(energy::Group::kPark) * 2 + 1;
  for (const std::string year : {"2023", "2024"}) {
    const Figures& pe = energy_sums.at({park_year, year});
    const Figures& pc = carbon_sums.at({park_year, year});
    EXPECT_GT(pe[0], 0);
    EXPECT_GT(pc[4], 0);
    for (const auto& [key, f] : energy_sums) {
      if (key.second != year) continue;
      const bool carrier_rows = key.first / 2 == static_cast<int>(energy::Group::kCarrier);
      for (size_t i = 0; i < (carrier_rows ? 2 : f.size()); ++i) {
        ExpectNear(f[i], pe[i],
                   "energy grouping " + std::to_string(key.first) + " figure " + std::to_string(i) +
                       " " + year);
      }
    }
    for (const auto& [key, f] : carbon_sums) {
      if (key.second != year) continue;
      for (size_t i = 0; i < f.size(); ++i) {
        ExpectNear(f[i], pc[i],
                   "carbon grouping " + std::to_string(key.first) + " figure " + std::to_string(i) +
                       " " + year);
      }
    }
  }
  // Cell level: carriers add up to the total; park entity + enterprises = park meters.
  const energy::Accounts& a = **en;
  const energy::Input& in = a.input();
  const size_t months = static_cast<size_t>(in.months());
  for (int32_t m = in.from_month; m < in.to_month; ++m) {
    for (Carrier ca2 : kUsed) {
      double park_meters = 0, entities = 0;
      for (int32_t i : a.ParkMeters()) {
        if (in.meters[static_cast<size_t>(i)].carrier == ca2) {
          park_meters +=
              in.sums[static_cast<size_t>(i) * months + static_cast<size_t>(m - in.from_month)]
                  .value;
        }
      }
      for (int32_t e = 0; e < a.entities(); ++e) entities += a.Amount(e, m, ca2);
      ExpectNear(entities, park_meters, "amount " + std::string(units::GetCarrierInfo(ca2).code));
    }
    for (int32_t e = 0; e < a.entities(); ++e) {
      for (Scope2Method sm : kScope2Methods) {
        double parts = c.Process(e, m);
        for (const auto& info : units::AllCarriers()) {
          parts += c.Scope1(e, m, info.carrier) + c.Scope2(e, m, info.carrier, sm);
        }
        ExpectNear(parts, c.Total(e, m, sm), "total of entity");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomParks, PartsAddUp, testing::Range(1u, 21u));

}  // namespace
}  // namespace zp::carbon
