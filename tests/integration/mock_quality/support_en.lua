-- Business rules for prompts/support_en.md (Ashcombe Bank telephone support).
-- Every function is an optional hook (docs/lua-api.md). Everything random comes
-- from `ctx.rng`, so the same seed gives the same calls.

---@type convgen.Hooks
local M = {}

---------------------------------------------------------------------------
-- 1. Reference data
---------------------------------------------------------------------------

local BANK = "Ashcombe Bank"
local AGENTS = { "Emma", "James", "Sophie", "Oliver", "Hannah", "Daniel", "Chloe", "Tom" }
local FIRST_NAMES = {
  "Sarah", "Emily", "Rachel", "Laura", "Helen", "Claire", "Katie", "Jessica",
  "David", "Michael", "Paul", "Andrew", "Mark", "Richard", "Simon", "Peter",
}
local SURNAMES = {
  "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
  "Evans", "Thomas", "Roberts", "Walker", "Wright", "Robinson", "Hughes", "Green",
}
-- Pounds at stake per scenario: {minimum, maximum}.
local AMOUNTS = {
  card_declined_abroad = { 20, 150 }, unrecognised_payment = { 30, 600 },
  missing_transfer = { 600, 1500 }, overdraft_fee = { 5, 5 }, close_savings = { 500, 8000 },
}
local DEFAULT_AMOUNT = { 20, 200 }

local GREETINGS = { "good morning", "good afternoon", "good evening", "hello", "hi" }
local CLOSINGS = {
  "anything else", "thank you for calling", "thanks for calling", "have a great day",
  "have a good day", "have a lovely", "goodbye", "take care",
}
local SECURITY = {
  "date of birth", "last four digits", "security check", "security questions",
  "verify your identity", "confirm your identity",
}
-- Things the bank never asks for.
local NEVER_ASKED = { "cvv", "pin number", "your passcode", "full card number" }

---------------------------------------------------------------------------
-- 2. Hooks
---------------------------------------------------------------------------

local function scenario(ctx, conv)
  if ctx.scenario then return ctx.scenario.id end
  return conv and conv.scenario and conv.scenario.id
end

function M.variables(ctx)
  local rng = ctx.rng
  local range = AMOUNTS[scenario(ctx) or ""] or DEFAULT_AMOUNT
  return {
    customer = rng:choice(FIRST_NAMES) .. " " .. rng:choice(SURNAMES),
    agent = rng:choice(AGENTS),
    company = BANK,
    amount = rng:int(range[1] * 100, range[2] * 100) / 100,
  }
end

function M.validate_turn(turn, ctx)
  if not string.find(turn.text or "", "%S") then return false, "empty turn" end
  if text.len(turn.text) > 600 then return false, "turn too long (over 600 characters)" end
  if turn.role == "agent" then
    local asked = text.find_any(turn.text, NEVER_ASKED)
    if asked then return false, "the agent mentions «" .. asked .. "», which the bank never asks for" end
  end
  return true
end

function M.validate_conversation(conv, ctx)
  local reasons = {}
  local by_agent, all = {}, {}
  for _, t in ipairs(conv.turns) do
    all[#all + 1] = t.text
    if t.role == "agent" then by_agent[#by_agent + 1] = t end
  end
  local first = by_agent[1]
  if not first then return false, "the agent never speaks" end
  local v = conv.variables or {}
  local whole = table.concat(all, "\n")

  -- 1. Greeting and the agent's name in the first agent turn.
  if not text.find_any(first.text, GREETINGS) then
    reasons[#reasons + 1] = "the agent does not greet the caller (good morning, hello…)"
  end
  if v.agent and not string.find(first.text, v.agent, 1, true) then
    reasons[#reasons + 1] = "the agent does not give their name (" .. v.agent .. ")"
  end
  -- 2. A closing in one of the agent's last two turns.
  local closed = false
  for i = math.max(1, #by_agent - 1), #by_agent do
    if text.find_any(by_agent[i].text, CLOSINGS) then closed = true end
  end
  if not closed then reasons[#reasons + 1] = "no closing (anything else? / thank you for calling…)" end
  -- 3. The security check before turn 6: every scenario touches the account.
  local checked = false
  for _, t in ipairs(by_agent) do
    if t.index < 6 and text.find_any(t.text, SECURITY) then checked = true end
  end
  if not checked then reasons[#reasons + 1] = "no security check (date of birth, last four digits) before turn 6" end
  -- 4. The script's variables are used: the customer and the bank.
  local name = v.customer and text.words(v.customer) or {}
  if #name > 0 and not text.find_word(whole, name) then
    reasons[#reasons + 1] = "the customer's name (" .. v.customer .. ") never comes up"
  end
  if v.company and not string.find(whole, v.company, 1, true) then
    reasons[#reasons + 1] = "the bank (" .. v.company .. ") is never named"
  end
  if #reasons > 0 then return false, reasons end
  return true
end

return M
