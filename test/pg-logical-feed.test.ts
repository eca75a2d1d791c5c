import { describe } from "node:test";
import { durableFeedSuite } from "./support/durable-feed-suite.js";

describe("PostgreSQL change feed, logical replication mode (own cluster)", () => durableFeedSuite("logical"));
