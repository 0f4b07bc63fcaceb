// The Store conformance suite, part 3: wallet credential offers (OpenID4VCI,
// #19). Run by every store through the same instantiations as
// store_conformance.cc (memory, SQLite, PostgreSQL).

#include <string>

#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

constexpr int kMaxFailures = 3;

WalletOfferRecord Offer(const std::string& code_hash, const std::string& tx_code_hash = "") {
  WalletOfferRecord o;
  o.code_hash = code_hash;
  o.verification_id = "ver_" + code_hash;
  o.tx_code_hash = tx_code_hash;
  o.sealed = std::string("sealed\0bytes\xff", 13);
  o.key_id = "k1";
  o.create_time = kT0;
  o.expire_time = kT0 + absl::Minutes(10);
  return o;
}

WalletRedemption Redeem(Store& store, const std::string& code, const std::string& tx,
                        const std::string& token, absl::Time now) {
  absl::StatusOr<WalletRedeemOutcome> got =
      store.RedeemWalletOffer(code, tx, token, now + absl::Minutes(5), kMaxFailures, now);
  EXPECT_THAT(got, IsOk());
  return got.ok() ? got->result : WalletRedemption::kUnknown;
}

}  // namespace

TEST_P(StoreConformanceTest, WalletOfferIsRedeemedOnceThenClaimedOnce) {
  ASSERT_THAT(store_->CreateWalletOffer(Offer("c1")), IsOk());
  EXPECT_THAT(store_->CreateWalletOffer(Offer("c1")), StatusIs(absl::StatusCode::kAlreadyExists));

  absl::StatusOr<WalletRedeemOutcome> r =
      store_->RedeemWalletOffer("c1", "", "t1", kT0 + absl::Minutes(6), kMaxFailures, kT0);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->result, WalletRedemption::kRedeemed);
  EXPECT_EQ(r->offer.verification_id, "ver_c1");
  EXPECT_EQ(r->offer.state, WalletOfferState::kRedeemed);
  EXPECT_EQ(r->offer.token_hash, "t1");
  EXPECT_EQ(Redeem(*store_, "c1", "", "t2", kT0), WalletRedemption::kAlreadyUsed);

  absl::StatusOr<WalletOfferRecord> claimed = store_->ClaimWalletOffer("t1", kT0);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->sealed, std::string("sealed\0bytes\xff", 13));  // Bytes kept as they are.
  EXPECT_EQ(claimed->key_id, "k1");
  EXPECT_EQ(claimed->verification_id, "ver_c1");
  // One credential per offer; the second token never existed.
  EXPECT_THAT(store_->ClaimWalletOffer("t1", kT0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ClaimWalletOffer("t2", kT0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Redeem(*store_, "c1", "", "t3", kT0), WalletRedemption::kAlreadyUsed);
}

TEST_P(StoreConformanceTest, WalletOfferUnknownAndExpiredCodes) {
  EXPECT_EQ(Redeem(*store_, "nope", "", "t", kT0), WalletRedemption::kUnknown);
  ASSERT_THAT(store_->CreateWalletOffer(Offer("c2")), IsOk());
  EXPECT_EQ(Redeem(*store_, "c2", "", "t", kT0 + absl::Minutes(10)), WalletRedemption::kExpired);
  // An expired code stays unredeemable.
  EXPECT_EQ(Redeem(*store_, "c2", "", "t", kT0 + absl::Hours(1)), WalletRedemption::kExpired);
}

TEST_P(StoreConformanceTest, WalletOfferTxCodeFailuresLockTheOffer) {
  ASSERT_THAT(store_->CreateWalletOffer(Offer("c3", "right")), IsOk());
  EXPECT_EQ(Redeem(*store_, "c3", "", "t", kT0), WalletRedemption::kWrongTxCode);
  EXPECT_EQ(Redeem(*store_, "c3", "wrong", "t", kT0), WalletRedemption::kWrongTxCode);
  absl::StatusOr<WalletRedeemOutcome> third =
      store_->RedeemWalletOffer("c3", "wrong", "t", kT0, kMaxFailures, kT0);
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->result, WalletRedemption::kLocked);
  EXPECT_EQ(third->offer.tx_code_failures, 3);
  // Locked for good: the right code no longer helps.
  EXPECT_EQ(Redeem(*store_, "c3", "right", "t", kT0), WalletRedemption::kLocked);
  EXPECT_THAT(store_->ClaimWalletOffer("t", kT0), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_THAT(store_->CreateWalletOffer(Offer("c4", "right")), IsOk());
  EXPECT_EQ(Redeem(*store_, "c4", "wrong", "t4", kT0), WalletRedemption::kWrongTxCode);
  EXPECT_EQ(Redeem(*store_, "c4", "right", "t4", kT0), WalletRedemption::kRedeemed);
}

TEST_P(StoreConformanceTest, WalletOfferTokenExpires) {
  ASSERT_THAT(store_->CreateWalletOffer(Offer("c5")), IsOk());
  ASSERT_THAT(store_->RedeemWalletOffer("c5", "", "t5", kT0 + absl::Minutes(5), kMaxFailures, kT0),
              IsOk());
  EXPECT_THAT(store_->ClaimWalletOffer("t5", kT0 + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, WalletOfferStaleRowsArePurgedOnCreate) {
  ASSERT_THAT(store_->CreateWalletOffer(Offer("old")), IsOk());
  WalletOfferRecord later = Offer("new");
  later.create_time = kT0 + absl::Hours(25);
  later.expire_time = later.create_time + absl::Minutes(10);
  ASSERT_THAT(store_->CreateWalletOffer(later), IsOk());
  EXPECT_EQ(Redeem(*store_, "old", "", "t", kT0), WalletRedemption::kUnknown);
  EXPECT_EQ(Redeem(*store_, "new", "", "t", later.create_time), WalletRedemption::kRedeemed);
}

TEST_P(StoreConformanceTest, WalletOfferRefusesBadInput) {
  WalletOfferRecord empty = Offer("");
  EXPECT_THAT(store_->CreateWalletOffer(empty), StatusIs(absl::StatusCode::kInvalidArgument));
  WalletOfferRecord no_claims = Offer("c6");
  no_claims.sealed.clear();
  EXPECT_THAT(store_->CreateWalletOffer(no_claims), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->RedeemWalletOffer("c6", "", "", kT0, kMaxFailures, kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->RedeemWalletOffer("c6", "", "t", kT0, 0, kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace vouch::verifier::storage::testing
