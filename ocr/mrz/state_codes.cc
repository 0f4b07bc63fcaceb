// ICAO 9303-3 §5 state and organisation codes for the MRZ.

#include <algorithm>
#include <array>

#include "absl/strings/string_view.h"
#include "ocr/mrz.h"

namespace vouch::ocr {
namespace {

// ISO 3166-1 alpha-3 (Debian iso-codes 4.15) without DEU: ICAO 9303-3 §5
// assigns Germany the one-letter code "D".
constexpr absl::string_view kIsoCodes =
    "ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD "
    "BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR "
    "COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP "
    "EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM "
    "GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN "
    "KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO "
    "MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER "
    "NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE "
    "PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR "
    "SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA "
    "UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE";

// ICAO 9303-3 §5 additions: British nationality categories, UN
// organisations, stateless persons and refugees, EU, Kosovo, international
// organisations, and the fictional specimen state Utopia.
constexpr std::array<absl::string_view, 26> kIcaoCodes = {
    "D",   "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XXX",
    "EUE", "RKS", "XOM", "XPO", "XCC", "XCE", "XEC", "XES", "XMP", "XBA", "XIM", "XCO", "UTO"};

}  // namespace

bool IsIcaoStateCode(absl::string_view code) {
  if (code.empty() || code.size() > 3) return false;
  if (std::find(kIcaoCodes.begin(), kIcaoCodes.end(), code) != kIcaoCodes.end()) {
    return true;
  }
  if (code.size() != 3) return false;
  for (size_t i = 0; i + 3 <= kIsoCodes.size(); i += 4) {
    if (kIsoCodes.substr(i, 3) == code) return true;
  }
  return false;
}

}  // namespace vouch::ocr
