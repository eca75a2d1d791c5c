import { describe } from "node:test";
import { durableFeedSuite } from "./support/durable-feed-suite.js";

describe("PostgreSQL change feed, outbox mode (own cluster)", () => durableFeedSuite("outbox"));
