#include "service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "captures.h"
#include "cpu_time.h"
#include "nlohmann/json.hpp"
#include "ocr/checks.h"
#include "ocr/image.h"
#include "ocr/mrz.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "pipeline/country_codes.h"
#include "pipeline/ocr_adapter.h"
#include "pipeline/policy.h"
#include "pipeline/transliteration.h"
#include "pipeline/verification_pipeline.h"
#include "storage/store.h"
#include "testing/fixed_clock.h"
#include "testing/pipeline_fakes.h"

namespace vouch::ocr::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using verifier::pipeline::OpenedElement;
using verifier::pipeline::OpenedFile;
using verifier::pipeline::OpenedSubmission;

// The date the bench verifies on (fixed: the figures must not change with
// the calendar). A document expiring before it is verified the day before
// its expiry instead: expiry is not what this bench measures.
constexpr absl::CivilDay kToday(2026, 12, 1);

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Jpeg(const cv::Mat& img, int quality = 92) {
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

// One genuine submission: a page, maybe a selfie, typed data matching the
// page's MRZ.
struct Case {
  std::string set;
  std::string label;
  std::string element_type;  // "passport", "identity_card"
  std::string front;         // Encoded bytes.
  std::string back;          // Encoded bytes; empty: no reverse side sent.
  std::string selfie;        // Encoded bytes; empty: page-only.
  std::map<std::string, std::string> personal;
  std::map<std::string, std::string> document;
  absl::CivilDay today = kToday;
};

// YYMMDD as DD.MM.YYYY (the Bot API's date form); "" for a field with
// fillers. Birth dates after this year's are last century's.
std::string TypedDate(const std::string& yymmdd, bool birth) {
  int yy, mm, dd;
  if (yymmdd.size() != 6 || !absl::SimpleAtoi(yymmdd.substr(0, 2), &yy) ||
      !absl::SimpleAtoi(yymmdd.substr(2, 2), &mm) || !absl::SimpleAtoi(yymmdd.substr(4, 2), &dd)) {
    return "";
  }
  const int year = birth ? (yy > kToday.year() % 100 ? 1900 + yy : 2000 + yy) : 2000 + yy;
  return absl::StrFormat("%02d.%02d.%04d", dd, mm, year);
}

// The ISO alpha-2 code whose alpha-3 is the MRZ nationality; "" for codes
// without one (UTO, XXA...).
std::string Alpha2For(const std::string& nationality) {
  const std::string alpha3 = verifier::pipeline::NormalizeIcaoState(nationality);
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      const std::string alpha2{a, b};
      if (verifier::pipeline::Alpha2ToAlpha3(alpha2) == alpha3) return alpha2;
    }
  }
  return "";
}

std::string TitleCase(std::string s) {
  bool start = true;
  for (char& c : s) {
    c = start ? absl::ascii_toupper(c) : absl::ascii_tolower(c);
    start = c == ' ' || c == '-';
  }
  return s;
}

// Typed data as a user would enter it for the MRZ fields (names, dates,
// sex, nationality, number).
void FillTyped(Case& c, const std::string& surname, const std::string& given,
               const std::string& birth, const std::string& sex, const std::string& nationality,
               const std::string& number, const std::string& expiry) {
  c.personal = {{"first_name", TitleCase(given)},
                {"last_name", TitleCase(surname)},
                {"birth_date", TypedDate(birth, true)},
                {"gender", sex == "M"   ? "male"
                           : sex == "F" ? "female"
                                        : ""},
                {"country_code", Alpha2For(nationality)},
                {"residence_country_code", Alpha2For(nationality)}};
  c.document = {{"document_no", number}, {"expiry_date", TypedDate(expiry, false)}};
  int yy, mm, dd;
  if (expiry.size() == 6 && absl::SimpleAtoi(expiry.substr(0, 2), &yy) &&
      absl::SimpleAtoi(expiry.substr(2, 2), &mm) && absl::SimpleAtoi(expiry.substr(4, 2), &dd)) {
    const absl::CivilDay expires(2000 + yy, mm, dd);
    if (expires <= kToday) c.today = expires - 1;
  }
}

// The Telegram element a holder sends this document as, from its MRZ layout
// and document code (the pipeline's document_type_matches_mrz asks the same
// of the MRZ it reads): a TD3 `P` book is a passport (the Russian internal
// passport, `PN` of `RUS`, an internal_passport), a TD1/TD2 card an
// identity_card. A visa (MRV-A, MRV-B, code `V`) is no identity document
// Telegram has a type for: "" (the genuine set leaves it out; sent as a
// passport it is rejected for its kind, which is no false reject).
std::string ElementFor(const std::string& document_type, const std::string& document_code,
                       const std::string& issuing_state) {
  if (document_type == "MRVA" || document_type == "MRVB" || absl::StartsWith(document_code, "V")) {
    return "";
  }
  if (document_type == "TD1" || document_type == "TD2") return "identity_card";
  if (document_code == "PN" && issuing_state == "RUS") return "internal_passport";
  return "passport";
}

OpenedSubmission Submission(const Case& c) {
  OpenedSubmission s;
  OpenedElement personal;
  personal.type = "personal_details";
  personal.element_hash = "cGQtZWxlbWVudA==";
  personal.data_hash = "cGQtZGF0YQ==";
  personal.data = verifier::testing::TypedData(personal.type, c.personal, nullptr);
  OpenedElement doc;
  doc.type = c.element_type;
  doc.element_hash = "ZG9jLWVsZW1lbnQ=";
  doc.data_hash = "ZG9jLWRhdGE=";
  doc.data = verifier::testing::TypedData(doc.type, c.document, nullptr);
  doc.front_side = OpenedFile{"front-id", "ZnJvbnQ=", SecureBytes(c.front)};
  if (!c.back.empty()) doc.reverse_side = OpenedFile{"back-id", "YmFjaw==", SecureBytes(c.back)};
  if (!c.selfie.empty()) doc.selfie = OpenedFile{"selfie-id", "c2VsZmll", SecureBytes(c.selfie)};
  s.elements.push_back(std::move(personal));
  s.elements.push_back(std::move(doc));
  return s;
}

// Where the MRZ follows a national scheme, the holder types what the page's
// visual zone prints, not the MRZ's encoding of it: the number as the
// scheme joins it (the Russian internal passport's whole series), and names
// written in the scheme's own script in their letters (Cyrillic as the
// native name, its ICAO Latin spelling as the name).
void TypeAsTheHolderWould(const std::vector<std::string>& mrz_lines, Case& c) {
  absl::StatusOr<ocr::ParsedMrz> parsed = ocr::ParseMrz(mrz_lines);
  if (!parsed.ok() || parsed->national_scheme == nullptr) return;
  c.document["document_no"] = parsed->fields.document_number;
  if (parsed->national_scheme->name_script != ocr::MrzNameScript::kRussianInternal) return;
  const auto type_name = [&](const std::string& mrz_name, const char* latin, const char* native) {
    std::optional<std::string> cyrillic =
        verifier::pipeline::RussianInternalMrzNameToCyrillic(mrz_name);
    if (!cyrillic.has_value()) return;
    const std::vector<std::string> spellings = verifier::pipeline::MrzSpellings(*cyrillic);
    if (!spellings.empty()) c.personal[latin] = TitleCase(spellings.front());
    c.personal[native] = *cyrillic;
  };
  type_name(parsed->fields.surname, "last_name", "last_name_native");
  type_name(parsed->fields.given_names, "first_name", "first_name_native");
}

// Real pages from a corpus manifest (genuine entries only).
void RealCases(const fs::path& dir, const std::string& set, std::vector<Case>& out,
               std::vector<std::string>& left_out) {
  const nlohmann::json m = nlohmann::json::parse(ReadFile(dir / "manifest.json"), nullptr, false);
  if (m.is_discarded() || !m.contains("specimens")) return;
  for (const auto& e : m["specimens"]) {
    const std::string file = e.value("file", "");
    const nlohmann::json& f = e["fields"];
    Case c;
    // MRZ-only crops and camera shots of the MRZ band are not pages.
    const bool strip = absl::StrContains(file, "mrzonly") || absl::StrContains(file, "camera_");
    c.set = strip ? "real MRZ strips / band shots (page-only)" : set;
    c.label = file;
    c.element_type = ElementFor(e.value("document_type", ""), f.value("document_code", ""),
                                f.value("issuing_state", ""));
    if (c.element_type.empty()) {
      left_out.push_back(file);
      continue;
    }
    c.front = ReadFile(dir / file);
    FillTyped(c, f.value("surname", ""), f.value("given_names", ""), f.value("birth_date", ""),
              f.value("sex", ""), f.value("nationality", ""), f.value("document_number", ""),
              f.value("expiry_date", ""));
    TypeAsTheHolderWould(e.value("mrz_lines", std::vector<std::string>{}), c);
    out.push_back(std::move(c));
  }
}

// Identities with at least two photos in corpus/faces: (identity, files).
std::vector<std::pair<std::string, std::vector<fs::path>>> FaceIdentities(const fs::path& faces) {
  const nlohmann::json m = nlohmann::json::parse(ReadFile(faces / "manifest.json"), nullptr, false);
  std::map<std::string, std::vector<fs::path>> by_id;
  if (m.is_array()) {
    for (const auto& e : m) {
      if (e.value("product_face_check", "pass") != "pass") continue;
      by_id[e.value("identity", "")].push_back(faces / e.value("file", ""));
    }
  }
  std::vector<std::pair<std::string, std::vector<fs::path>>> out;
  for (auto& [id, files] : by_id) {
    if (files.size() >= 2 && !id.empty()) out.emplace_back(id, std::move(files));
  }
  return out;
}

// The card of a rendered page, flat (for print/scan/photo captures).
cv::Mat FlatCard(const docgen::GeneratedDocument& doc) {
  const auto& c = doc.card_corners;
  const float w = static_cast<float>(std::hypot(c[1].x - c[0].x, c[1].y - c[0].y));
  const float h = static_cast<float>(std::hypot(c[3].x - c[0].x, c[3].y - c[0].y));
  const std::vector<cv::Point2f> src(c.begin(), c.end());
  const std::vector<cv::Point2f> dst = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  cv::Mat flat;
  cv::warpPerspective(doc.image, flat, cv::getPerspectiveTransform(src, dst),
                      cv::Size(static_cast<int>(w), static_cast<int>(h)), cv::INTER_CUBIC);
  return flat;
}

// Real states for generated identities (docgen draws UTO and friends,
// which have no ISO alpha-2 a user could type).
constexpr const char* kStates[] = {"FRA", "SWE", "ITA", "NLD", "CAN", "ESP", "POL", "D"};
constexpr MrzFormat kFormats[] = {MrzFormat::kTd3, MrzFormat::kTd1, MrzFormat::kTd2,
                                  MrzFormat::kMrvA};
constexpr const char* kCaptures[] = {"docgen clean", "docgen mild", "docgen photo", "phone photo",
                                     "scan"};

// (surname, given names) from the MRZ's name field ('<' as spaces).
std::pair<std::string, std::string> MrzNames(const std::vector<std::string>& lines,
                                             MrzFormat format) {
  if (lines.empty()) return {};
  const std::string field = format == MrzFormat::kTd1 && lines.size() == 3
                                ? lines[2]
                                : lines[0].substr(std::min<size_t>(5, lines[0].size()));
  const size_t split = field.find("<<");
  auto words = [](std::string s) {
    std::replace(s.begin(), s.end(), '<', ' ');
    return std::string(absl::StripAsciiWhitespace(s));
  };
  if (split == std::string::npos) return {words(field), ""};
  return {words(field.substr(0, split)), words(field.substr(split + 2))};
}

void GeneratedCases(docgen::DocumentGenerator& gen, const fs::path& faces, int n,
                    std::vector<Case>& out, std::vector<std::string>& left_out) {
  const auto identities = FaceIdentities(faces);
  if (identities.empty()) return;
  for (int i = 0; i < n; ++i) {
    const auto& [person, files] = identities[i % identities.size()];
    std::mt19937_64 rng(8000 + i);
    const MrzFormat format = kFormats[i % 4];
    const std::string element = ElementFor(std::string(MrzFormatName(format)), "", "");
    if (element.empty()) {
      // The same seeds as before for the others.
      left_out.push_back(absl::StrFormat("seed %d %s", 8000 + i, MrzFormatName(format)));
      continue;
    }
    docgen::Identity id = docgen::RandomIdentity(format, rng);
    // Holders with one name only (no given names) cannot fill Telegram's
    // required first name: their outcome is the typed-data rule's, not the
    // image checks' (docs/checks.md).
    while (id.given_names.empty()) id = docgen::RandomIdentity(format, rng);
    id.issuing_state = id.nationality = kStates[i % std::size(kStates)];
    const cv::Mat portrait = cv::imread(files[0].string(), cv::IMREAD_COLOR);
    const cv::Mat selfie = cv::imread(
        files[1 + i / identities.size() % (files.size() - 1)].string(), cv::IMREAD_COLOR);
    if (portrait.empty() || selfie.empty()) continue;
    const std::string capture = kCaptures[(i / 4) % std::size(kCaptures)];
    docgen::RenderOptions ro;
    ro.portrait = portrait;
    ro.level = capture == "docgen mild"    ? docgen::Level::kMild
               : capture == "docgen photo" ? docgen::Level::kPhoto
                                           : docgen::Level::kClean;
    absl::StatusOr<docgen::GeneratedDocument> doc = gen.Render(id, 8000 + i, ro);
    std::string card_back;
    if (doc.ok() && ro.level == docgen::Level::kPhoto &&
        (doc->photo_effects.moire || doc->photo_effects.defocus || doc->photo_effects.card_back)) {
      // A screen photo is a fake and a defocused one a legitimate retake:
      // the genuine set holds neither. A card's back is what its holder
      // sends as the reverse side, beside the portrait side as the front.
      docgen::PhotoEffects effects = doc->photo_effects;
      effects.moire = effects.defocus = false;
      if (effects.card_back) {
        ro.photo_effects = effects;
        absl::StatusOr<docgen::GeneratedDocument> back = gen.Render(id, 8000 + i, ro);
        if (back.ok()) card_back = back->jpeg;
        effects.card_back = false;
      }
      ro.photo_effects = effects;
      doc = gen.Render(id, 8000 + i, ro);
    }
    if (!doc.ok()) continue;
    Case c;
    c.set = "generated (docgen, selfie of the same person)";
    c.label = absl::StrFormat("seed %d %s %s %s", 8000 + i, MrzFormatName(format), capture, person);
    c.element_type = element;
    if (capture == "phone photo") {
      c.front = captures::PhonePhoto(FlatCard(*doc), rng).jpeg;
    } else if (capture == "scan") {
      c.front = captures::Scan(FlatCard(*doc), rng).jpeg;
    } else {
      c.front = doc->jpeg;
    }
    c.back = card_back;
    c.selfie = Jpeg(selfie);
    // The names as the MRZ prints them (truncated where they do not fit),
    // as for the real pages; where a long surname leaves the MRZ no given
    // names, the holder types theirs as the page prints them.
    const auto [surname, given] = MrzNames(doc->mrz_lines, format);
    FillTyped(c, surname, given.empty() ? absl::StrJoin(id.given_names, " ") : given, id.birth_date,
              id.sex, id.nationality, id.document_number, id.expiry_date);
    out.push_back(std::move(c));
  }
}

// What one submission came to.
struct Outcome {
  const Case* c = nullptr;
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  std::vector<std::string> review;                      // "check: reason" of REVIEW checks.
  std::vector<std::string> fail;                        // ... of FAIL checks.
  std::vector<std::string> review_scored, fail_scored;  // With score/threshold.
  bool image_check_review = false;                      // A quality/fraud signal asked for review.
  bool image_check_fail = false;
  double quality_ms = 0;                         // All quality checks on the front.
  double decode_ms = 0;                          // Baseline: decoding the same bytes.
  double quality_cpu_ms = 0, decode_cpu_ms = 0;  // The same, thread CPU time.
  std::string error;
};

// "quality.screen.front_side" -> "quality.screen".
std::string CheckFamily(const std::string& name) {
  if (!absl::StartsWith(name, "quality.")) return name;
  const size_t dot = name.find('.', 8);
  return dot == std::string::npos ? name : name.substr(0, dot);
}

Outcome RunCase(const Case& c, verifier::pipeline::DocumentReader& reader,
                const verifier::pipeline::Policy& base) {
  Outcome o;
  o.c = &c;
  verifier::testing::FakePassportOpener opener;
  opener.make = [&c] { return absl::StatusOr<OpenedSubmission>(Submission(c)); };
  verifier::testing::FakeAttestationIssuer issuer;
  std::unique_ptr<verifier::storage::Store> store = verifier::storage::NewMemoryStore();
  ::vouch::testing::FixedClock clock(
      absl::FromCivil(absl::CivilSecond(c.today), absl::UTCTimeZone()) + absl::Hours(12));
  verifier::pipeline::VerificationPipeline pipeline(opener, issuer, *store, clock);
  v1::VerifyRequest request;
  request.set_passport_data_json(R"({"data":[],"credentials":{}})");
  request.set_nonce("nonce-1");
  request.set_telegram_user_id(42);
  verifier::pipeline::Policy policy = base;
  policy.require_selfie = !c.selfie.empty();
  // The holder's age is the relying service's rule, not an image check
  // (specimens of minors are genuine pages too).
  policy.minimum_age = 0;
  verifier::pipeline::PipelineInput input{&request, &policy, "ver_bench", "bench.example"};
  absl::StatusOr<v1::VerificationResult> r = pipeline.Run(input, reader, [] { return false; });
  if (!r.ok()) {
    o.error = r.status().ToString();
    return o;
  }
  o.decision = r->decision();
  for (const v1::Check& k : r->checks()) {
    const std::string what = absl::StrCat(CheckFamily(k.name()), ": ", k.reason());
    const bool image_check = absl::StartsWith(k.name(), "quality.");
    // The listing shows the score against the threshold as well.
    const std::string scored = absl::StrFormat("%s %.3g/%.3g", what, k.score(), k.threshold());
    if (k.outcome() == v1::CHECK_OUTCOME_REVIEW) {
      o.review.push_back(what);
      o.review_scored.push_back(scored);
      o.image_check_review |= image_check;
    } else if (k.outcome() == v1::CHECK_OUTCOME_FAIL) {
      o.fail.push_back(what);
      o.fail_scored.push_back(scored);
      o.image_check_fail |= image_check;
    }
  }
  // The quality checks alone on the same front, timed (the pipeline's
  // own time includes the MRZ reader), against decoding it.
  auto t = Clock::now();
  double cpu = ThreadCpuMs();
  absl::StatusOr<DecodedImage> img = DecodeImage(c.front);
  o.decode_ms = MsSince(t);
  o.decode_cpu_ms = ThreadCpuMs() - cpu;
  if (img.ok()) {
    t = Clock::now();
    cpu = ThreadCpuMs();
    (void)RunQualityChecks(img->bgr, TelegramSource::kFrontSide, {}, c.front);
    o.quality_ms = MsSince(t);
    o.quality_cpu_ms = ThreadCpuMs() - cpu;
  }
  return o;
}

const char* DecisionName(v1::Decision d) {
  switch (d) {
    case v1::DECISION_VERIFIED:
      return "VERIFIED";
    case v1::DECISION_NEEDS_REVIEW:
      return "NEEDS_REVIEW";
    case v1::DECISION_REJECTED:
      return "REJECTED";
    default:
      return "ERROR";
  }
}

void PrintSet(const std::string& set, const std::vector<Outcome>& outcomes) {
  int n = 0, verified = 0, review = 0, rejected = 0, errors = 0;
  int image_review = 0, image_fail = 0;
  std::map<std::string, int> review_reasons, fail_reasons;
  for (const Outcome& o : outcomes) {
    if (o.c->set != set) continue;
    ++n;
    verified += o.decision == v1::DECISION_VERIFIED;
    review += o.decision == v1::DECISION_NEEDS_REVIEW;
    rejected += o.decision == v1::DECISION_REJECTED;
    errors += !o.error.empty();
    image_review += o.image_check_review && !o.image_check_fail;
    image_fail += o.image_check_fail;
    // Each reason once per submission.
    for (const std::string& s : std::set<std::string>(o.review.begin(), o.review.end())) {
      ++review_reasons[s];
    }
    for (const std::string& s : std::set<std::string>(o.fail.begin(), o.fail.end())) {
      ++fail_reasons[s];
    }
  }
  if (n == 0) return;
  auto pct = [n](int k) { return 100.0 * k / n; };
  std::printf(
      "\n%s: n=%d  VERIFIED %d (%.1f%%)  NEEDS_REVIEW %d (%.1f%%)  REJECTED %d (%.1f%%)%s\n",
      set.c_str(), n, verified, pct(verified), review, pct(review), rejected, pct(rejected),
      errors ? absl::StrFormat("  errors %d", errors).c_str() : "");
  std::printf(
      "  an image-check signal (quality.*) failed: %d (%.1f%%); held for review by "
      "one (no fail): %d (%.1f%%)\n",
      image_fail, pct(image_fail), image_review, pct(image_review));
  for (const auto& [what, k] : fail_reasons) std::printf("  FAIL   %3d  %s\n", k, what.c_str());
  for (const auto& [what, k] : review_reasons) {
    std::printf("  REVIEW %3d  %s\n", k, what.c_str());
  }
}

}  // namespace

int Run(docgen::DocumentGenerator& generator, const Options& options) {
  const fs::path shared(options.shared_dir);
  const fs::path specimens = shared / "corpus" / "specimens";
  const fs::path mrz_real = shared / "corpus" / "mrz_real";
  if (!fs::exists(specimens / "manifest.json") || !fs::exists(mrz_real / "manifest.json")) {
    std::fprintf(stderr, "service: %s has no corpus/specimens or corpus/mrz_real manifest\n",
                 options.shared_dir.c_str());
    return 1;
  }
  std::vector<Case> cases;
  std::vector<std::string> real_visas, generated_visas;
  RealCases(specimens, "real specimens (page-only)", cases, real_visas);
  RealCases(mrz_real, "real mrz_real pages (page-only)", cases, real_visas);
  GeneratedCases(generator, shared / "corpus" / "faces", options.n, cases, generated_visas);

  verifier::pipeline::OcrReaderOptions reader_options;
  reader_options.models_dir = options.models_dir;
  absl::StatusOr<std::unique_ptr<verifier::pipeline::DocumentReader>> reader =
      verifier::pipeline::NewOcrDocumentReaderFactory(reader_options)->NewReader();
  if (!reader.ok()) {
    std::fprintf(stderr, "service: %s\n", reader.status().ToString().c_str());
    return 1;
  }
  const verifier::pipeline::Policy policy =
      *verifier::pipeline::Config::Default().FindPolicy("default").value();

  std::printf(
      "\n== Service outcome of genuine submissions (VerificationPipeline, ocr reader, "
      "default policy; models %s) ==\n",
      options.models_dir.c_str());
  // A visa is no identity document a Telegram user can send (no element
  // type takes it; document_type_matches_mrz rejects it as any of them).
  std::printf(
      "left out: %zu real and %zu generated visas (MRV-A/MRV-B, code V: no Telegram identity "
      "document type)%s\n",
      real_visas.size(), generated_visas.size(), options.list ? ":" : "");
  if (options.list) {
    for (const auto* v : {&real_visas, &generated_visas}) {
      for (const std::string& label : *v) std::printf("  left out  %s\n", label.c_str());
    }
  }
  std::vector<Outcome> outcomes;
  for (const Case& c : cases) {
    outcomes.push_back(RunCase(c, **reader, policy));
    const Outcome& o = outcomes.back();
    if (!options.list) continue;
    std::printf("  %-46.46s %-44.44s %-12s", o.c->set.c_str(), o.c->label.c_str(),
                DecisionName(o.decision));
    for (const std::string& f : o.fail_scored) std::printf(" F[%s]", f.c_str());
    for (const std::string& r : o.review_scored) std::printf(" R[%s]", r.c_str());
    if (!o.error.empty()) std::printf(" error %s", o.error.c_str());
    std::printf("\n");
  }
  std::vector<std::string> sets;
  for (const Case& c : cases) {
    if (std::find(sets.begin(), sets.end(), c.set) == sets.end()) sets.push_back(c.set);
  }
  for (const std::string& s : sets) PrintSet(s, outcomes);

  // Per kind of page: the real pages are small web images, the generated
  // captures 1000..2000 px photos.
  for (int real = 1; real >= 0; --real) {
    std::vector<double> ms, decode, cpu, decode_cpu;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& o = outcomes[i];
      if (o.quality_ms <= 0 || (cases[i].set.rfind("real", 0) == 0) != (real == 1)) continue;
      ms.push_back(o.quality_ms);
      decode.push_back(o.decode_ms);
      cpu.push_back(o.quality_cpu_ms);
      decode_cpu.push_back(o.decode_cpu_ms);
    }
    if (ms.empty()) continue;
    for (auto* v : {&ms, &decode, &cpu, &decode_cpu}) std::sort(v->begin(), v->end());
    auto p = [](const std::vector<double>& v, int pct) { return v[v.size() * pct / 100]; };
    std::printf(
        "\nall quality checks per page (one core), %s pages, n=%zu: thread CPU p50 %.1f ms  p90 "
        "%.1f ms  max %.1f ms (wall p50 %.1f  p90 %.1f ms); baseline decode of the same files "
        "CPU p50 %.1f  p90 %.1f ms (wall p50 %.1f ms) (target <= 40 ms)\n",
        real ? "real" : "generated", ms.size(), p(cpu, 50), p(cpu, 90), cpu.back(), p(ms, 50),
        p(ms, 90), p(decode_cpu, 50), p(decode_cpu, 90), p(decode, 50));
  }
  return 0;
}

}  // namespace vouch::ocr::service
