#include "telegram/badge_dispatcher.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "telegram/fake_bot_api.h"

namespace vouch::verifier::telegram {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using vouch::testing::FakeBotApi;

constexpr char kToken[] = "4242:AAF_dispatcher_test_token_value_0001";
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

class BadgeDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(api_.Start(), 0);
    BotApiOptions options;
    options.base_url = api_.base_url();
    options.timeout = absl::Seconds(5);
    client_.emplace(*BotApiClient::Create(options, *BotToken::FromString(kToken)));
    BadgeDispatcherOptions d;
    d.backoff_first = absl::Seconds(2);
    d.backoff_max = absl::Seconds(60);
    dispatcher_.emplace(*store_, *client_, d,
                        [this](const BadgeAttempt& a) { attempts_.push_back(a); });
  }

  void Enqueue(const std::string& id, storage::BadgeAction action = storage::BadgeAction::kVerify) {
    ASSERT_TRUE(store_
                    ->EnqueueBadge(
                        storage::BadgeRequest{
                            id, 777, action,
                            action == storage::BadgeAction::kVerify ? "Passport checked" : ""},
                        kT0)
                    .ok());
  }
  storage::BadgeItem Item(const std::string& id,
                          storage::BadgeAction action = storage::BadgeAction::kVerify) {
    const absl::StatusOr<std::vector<storage::BadgeItem>> items = store_->FindBadges(id);
    EXPECT_TRUE(items.ok());
    for (const storage::BadgeItem& item : items.value_or(std::vector<storage::BadgeItem>())) {
      if (item.request.action == action) return item;
    }
    ADD_FAILURE() << "no badge item " << id;
    return storage::BadgeItem();
  }

  FakeBotApi api_{kToken};
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();  // The outbox: the Store's.
  std::optional<BotApiClient> client_;
  std::vector<BadgeAttempt> attempts_;
  std::optional<BadgeDispatcher> dispatcher_;
};

TEST_F(BadgeDispatcherTest, VerifiedUserGetsOneCall) {
  Enqueue("ver_1");
  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 1);
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Hours(1)), 0);
  const std::vector<FakeBotApi::Call> calls = api_.calls("verifyUser");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].params,
            nlohmann::json({{"user_id", 777}, {"custom_description", "Passport checked"}}));
  EXPECT_EQ(Item("ver_1").state, storage::BadgeState::kDone);
  ASSERT_EQ(attempts_.size(), 1u);
  EXPECT_EQ(attempts_[0].outcome, BadgeOutcome::kDone);
  EXPECT_THAT(api_.violations(), IsEmpty());
}

TEST_F(BadgeDispatcherTest, HonoursRetryAfterOf429) {
  Enqueue("ver_1");
  api_.Script429("verifyUser", 30);
  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 1);
  storage::BadgeItem item = Item("ver_1");
  EXPECT_EQ(item.state, storage::BadgeState::kPending);
  EXPECT_EQ(item.next_attempt, kT0 + absl::Seconds(30));
  EXPECT_THAT(item.error, HasSubstr("429"));
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Seconds(29)), 0);
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Seconds(30)), 1);
  EXPECT_EQ(Item("ver_1").state, storage::BadgeState::kDone);
  EXPECT_EQ(api_.calls("verifyUser").size(), 2u);
  EXPECT_EQ(dispatcher_->Count(storage::BadgeAction::kVerify, BadgeOutcome::kRetry), 1u);
  EXPECT_EQ(dispatcher_->Count(storage::BadgeAction::kVerify, BadgeOutcome::kDone), 1u);
}

TEST_F(BadgeDispatcherTest, A429StormEndsInExactlyOneSuccess) {
  Enqueue("ver_1");
  for (int i = 0; i < 5; ++i) api_.Script429("verifyUser", 1 + i);
  absl::Time now = kT0;
  int successes = 0;
  for (int pass = 0; pass < 40 && successes == 0; ++pass) {
    (void)dispatcher_->RunOnce(now);
    successes =
        static_cast<int>(dispatcher_->Count(storage::BadgeAction::kVerify, BadgeOutcome::kDone));
    now += absl::Seconds(1);
  }
  EXPECT_EQ(successes, 1);
  EXPECT_EQ(api_.calls("verifyUser").size(), 6u);
  EXPECT_EQ(Item("ver_1").attempts, 6);
  (void)dispatcher_->RunOnce(now + absl::Hours(2));
  EXPECT_EQ(api_.calls("verifyUser").size(), 6u);
}

TEST_F(BadgeDispatcherTest, ServerErrorsBackOffExponentially) {
  Enqueue("ver_1");
  api_.Script500("verifyUser");
  api_.Script500("verifyUser");
  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 1);
  EXPECT_EQ(Item("ver_1").next_attempt, kT0 + absl::Seconds(2));
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Seconds(2)), 1);
  EXPECT_EQ(Item("ver_1").next_attempt, kT0 + absl::Seconds(2) + absl::Seconds(4));
  EXPECT_EQ(dispatcher_->Backoff(1), absl::Seconds(2));
  EXPECT_EQ(dispatcher_->Backoff(3), absl::Seconds(8));
  EXPECT_EQ(dispatcher_->Backoff(30), absl::Seconds(60));
}

TEST_F(BadgeDispatcherTest, DefinitiveRefusalIsRecordedAndNotRetried) {
  Enqueue("ver_400");
  Enqueue("ver_403");
  api_.ScriptError("verifyUser", 400, "Bad Request: USER_ID_INVALID");
  api_.ScriptError("verifyUser", 403, "Forbidden: bot is not a verification organization");
  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 2);
  const storage::BadgeItem a = Item("ver_400");
  const storage::BadgeItem b = Item("ver_403");
  EXPECT_EQ(a.state, storage::BadgeState::kFailed);
  EXPECT_EQ(b.state, storage::BadgeState::kFailed);
  // Which of the two got which answer depends on the claim order (both due at kT0).
  EXPECT_THAT(a.error + b.error, HasSubstr("400 Bad Request: USER_ID_INVALID"));
  EXPECT_THAT(a.error + b.error, HasSubstr("403 Forbidden: bot is not a verification"));
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Hours(24)), 0);
  EXPECT_EQ(api_.calls("verifyUser").size(), 2u);
  EXPECT_EQ(dispatcher_->Count(storage::BadgeAction::kVerify, BadgeOutcome::kFailed), 2u);
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].outcome, BadgeOutcome::kFailed);
}

TEST_F(BadgeDispatcherTest, NetworkErrorsAreRetriedAndNeverCarryTheToken) {
  Enqueue("ver_1", storage::BadgeAction::kRemove);
  api_.Stop();
  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 1);
  const storage::BadgeItem item = Item("ver_1", storage::BadgeAction::kRemove);
  EXPECT_EQ(item.state, storage::BadgeState::kPending);
  EXPECT_EQ(item.next_attempt, kT0 + absl::Seconds(2));
  EXPECT_THAT(item.error, HasSubstr("removeUserVerification"));
  EXPECT_THAT(item.error, Not(HasSubstr("AAF_dispatcher")));
  ASSERT_EQ(attempts_.size(), 1u);
  EXPECT_THAT(attempts_[0].description, Not(HasSubstr("AAF_dispatcher")));
}

TEST_F(BadgeDispatcherTest, RendersCounters) {
  Enqueue("ver_1");
  (void)dispatcher_->RunOnce(kT0);
  const std::string text = dispatcher_->Render();
  EXPECT_THAT(text, HasSubstr("# TYPE vouch_telegram_badge_calls_total counter"));
  EXPECT_THAT(text,
              HasSubstr("vouch_telegram_badge_calls_total{action=\"verify\",outcome=\"done\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("vouch_telegram_badge_calls_total{action=\"remove\",outcome=\"retry\"} 0"));
}

// Erasure (docs/erasure.md): a verifyUser claimed before its verification was
// erased reaches Telegram only after the erasure's removal was made (its
// dispatcher stalled past the lease; another replica's dispatcher made the
// removal meanwhile). Its record finds the erasure's trace: the removal is
// made again, after it.
TEST_F(BadgeDispatcherTest, ALateVerifyOfAnErasedVerificationIsRemovedAgain) {
  Enqueue("ver_1");
  BadgeDispatcher other(*store_, *client_, BadgeDispatcherOptions{});
  api_.Delay("verifyUser", [&] {
    storage::ErasureRequest erase;
    erase.verification_ids = {"ver_1"};
    erase.now = kT0 + absl::Seconds(30);
    absl::StatusOr<storage::ErasureOutcome> erased = store_->EraseVerifications(erase);
    ASSERT_TRUE(erased.ok()) << erased.status();
    EXPECT_TRUE(erased->badge_removal_queued);
    EXPECT_EQ(*other.RunOnce(kT0 + absl::Minutes(2)), 1);  // The erasure's removal.
  });

  EXPECT_EQ(*dispatcher_->RunOnce(kT0), 1);  // The verifyUser, late.
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Minutes(3)), 1);
  EXPECT_EQ(*dispatcher_->RunOnce(kT0 + absl::Hours(1)), 0);

  const std::vector<FakeBotApi::Call> calls = api_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].method, "removeUserVerification");
  EXPECT_EQ(calls[1].method, "verifyUser");
  EXPECT_EQ(calls[2].method, "removeUserVerification");  // The badge is gone again.
  for (const FakeBotApi::Call& c : calls) EXPECT_EQ(c.params["user_id"], 777);
  const storage::BadgeCounts left = *store_->CountBadges();
  EXPECT_EQ(left.pending + left.done + left.failed, 0);  // No user id is kept.
  EXPECT_THAT(api_.violations(), IsEmpty());
}

TEST_F(BadgeDispatcherTest, BackgroundThreadDrains) {
  Enqueue("ver_bg");
  // Enqueued at kT0 (in the past): the thread's first pass at absl::Now() takes it.
  dispatcher_->Start();
  for (int i = 0; i < 200 && Item("ver_bg").state == storage::BadgeState::kPending; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  dispatcher_->Stop();
  EXPECT_EQ(Item("ver_bg").state, storage::BadgeState::kDone);
}

}  // namespace
}  // namespace vouch::verifier::telegram
