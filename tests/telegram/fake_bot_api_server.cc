// fake_bot_api_server TOKEN [PORT]: the fake Bot API (fake_bot_api.h) with
// its /__control endpoints, for tests driven from another process. Prints
// "port N" on stdout when listening; stops on SIGTERM / SIGINT.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "fake_bot_api.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fake_bot_api_server TOKEN [PORT]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // Before the server's threads.
  vouch::testing::FakeBotApi api(argv[1], /*control=*/true);
  const int port = api.Start(argc > 2 ? std::atoi(argv[2]) : 0);
  if (port <= 0) {
    std::cerr << "fake_bot_api_server: cannot listen\n";
    return 1;
  }
  std::cout << "port " << port << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  api.Stop();
  return 0;
}
