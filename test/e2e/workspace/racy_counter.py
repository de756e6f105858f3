"""Four threads bump a shared counter without a lock: a textbook race."""
import threading

counter = 0


def work(n):
    global counter
    for _ in range(n):
        counter += 1


def main():
    threads = [threading.Thread(target=work, args=(100_000,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(counter)


if __name__ == "__main__":
    main()
